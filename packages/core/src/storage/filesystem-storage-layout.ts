import { unlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ignoreMissing, META_SUFFIX, readSidecar, syncDirectory } from './filesystem-storage-files.ts';
import { assertSafeStorageKey } from './storage-key.ts';
import { storageError } from './storage-support.ts';

/** The resolved settings every part of the filesystem adapter shares. */
export interface FilesystemContext {
  /** Absolute root directory. */
  root: string;
  maxObjectBytes: number;
  orphanGraceMs: number;
  /** fsync files and directories. */
  durable: boolean;
  readChunkBytes: number;
  now: () => Date;
}

/** Where a key's files live: its directory, base name and sidecar path. */
export interface ObjectLocation {
  dir: string;
  base: string;
  metaPath: string;
}

/** The files of `key` (a safe key; anything else is refused before touching the disk). */
export function locate(context: FilesystemContext, key: string): ObjectLocation {
  assertSafeStorageKey(key);
  const segments = key.split('/');
  const base = segments.pop()!;
  const dir = join(context.root, ...segments);
  // Belt and braces: a safe key can never resolve outside the root.
  if (dir !== context.root && !dir.startsWith(context.root + sep))
    throw storageError('unsafe_key', 'Refused an unsafe storage key.');
  return { dir, base, metaPath: join(dir, base + META_SUFFIX) };
}

/** Removes an object: its sidecar first (the commit point), then its data. False if there was none. */
export async function removeObject(
  context: FilesystemContext,
  { dir, base, metaPath }: ObjectLocation,
): Promise<boolean> {
  const sidecar = await readSidecar(metaPath);
  if (!sidecar) return false;
  await ignoreMissing(unlink(metaPath));
  await ignoreMissing(unlink(join(dir, `${base}@${sidecar.version}`)));
  await syncDirectory(dir, context.durable).catch(() => {});
  return true;
}

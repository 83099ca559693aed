import { type FileHandle, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors/gateway-error.ts';
import {
  fileStream,
  filesystemStorageError,
  isExpired,
  isMissing,
  readSidecar,
  toInfo,
} from './filesystem-storage-files.ts';
import { type FilesystemContext, locate, removeObject } from './filesystem-storage-layout.ts';
import { putObject, verifyWritable } from './filesystem-storage-put.ts';
import { collectKeys, sweepDirectory } from './filesystem-storage-sweep.ts';
import type {
  ByteRange,
  StorageAdapter,
  StorageGetOptions,
  StoredObject,
  StoredObjectInfo,
} from './storage-adapter.ts';
import { assertSafeStoragePrefix } from './storage-key.ts';
import { compareKeys, resolveByteRange } from './storage-support.ts';

export { filesystemStorageError } from './filesystem-storage-files.ts';

/** Options of {@link createFilesystemStorage}. */
export interface FilesystemStorageOptions {
  /** Directory that holds every object; created on first use. Nothing is ever written outside it. */
  root: string;
  /** Refuse objects larger than this (default 1 GiB), so a runaway stream cannot fill the disk. */
  maxObjectBytes?: number;
  /**
   * Leftovers of interrupted writes (temp files, superseded versions) younger than this are left
   * alone by {@link FilesystemStorage.sweepExpired}, because they may belong to a write in flight.
   * Default one hour.
   */
  orphanGraceMs?: number;
  /**
   * fsync files and directories on every write (default true). Turning it off trades crash
   * durability for speed; writes stay atomic either way.
   */
  fsync?: boolean;
  /** Size of each read from disk while streaming (default 64 KiB): the memory a download holds. */
  readChunkBytes?: number;
  /** Clock seam, so tests can move past `expiresAt` without waiting. */
  now?: () => Date;
}

/** The filesystem adapter: a {@link StorageAdapter} whose optional methods are all present. */
export interface FilesystemStorage extends StorageAdapter {
  /** Absolute root directory. */
  readonly root: string;
  list(prefix: string): AsyncIterable<StoredObjectInfo>;
  /** Deletes expired objects (returns how many) and removes leftovers of interrupted writes. */
  sweepExpired(now?: Date): Promise<number>;
  /** Creates the root if needed and proves it is writable (writes, syncs and removes a probe file). */
  verify(): Promise<void>;
}

function resolveContext(options: FilesystemStorageOptions): FilesystemContext {
  if (typeof options?.root !== 'string' || options.root.length === 0) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'Filesystem storage needs a root directory (option "root").',
      {
        param: 'root',
      },
    );
  }
  return {
    root: resolve(options.root),
    maxObjectBytes: options.maxObjectBytes ?? 1024 * 1024 * 1024,
    orphanGraceMs: options.orphanGraceMs ?? 60 * 60 * 1000,
    durable: options.fsync ?? true,
    readChunkBytes: options.readChunkBytes ?? 64 * 1024,
    now: options.now ?? (() => new Date()),
  };
}

async function headObject(context: FilesystemContext, key: string): Promise<StoredObjectInfo | null> {
  const sidecar = await readSidecar(locate(context, key).metaPath);
  return sidecar && !isExpired(sidecar, context.now()) ? toInfo(key, sidecar) : null;
}

/** Opens the current version of an object as a stream (a range of it if asked). */
async function getObject(
  context: FilesystemContext,
  key: string,
  options: StorageGetOptions | undefined,
): Promise<StoredObject | null> {
  const { dir, base, metaPath } = locate(context, key);
  // A concurrent overwrite may remove the version we just read about: re-read the sidecar.
  for (let attempt = 0; attempt < 3; attempt++) {
    const sidecar = await readSidecar(metaPath);
    if (!sidecar || isExpired(sidecar, context.now())) return null;
    let handle: FileHandle;
    try {
      handle = await open(join(dir, `${base}@${sidecar.version}`), 'r');
    } catch (error) {
      if (isMissing(error)) continue;
      throw filesystemStorageError(error, 'open the object');
    }
    let range: ByteRange | undefined;
    try {
      if (options?.range) range = resolveByteRange(options.range, sidecar.size);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    const start = range?.start ?? 0;
    const endExclusive = range ? range.end + 1 : sidecar.size;
    const body = fileStream(handle, start, endExclusive, context.readChunkBytes);
    return { info: toInfo(key, sidecar), body, ...(range ? { range } : {}) };
  }
  return null;
}

async function* listObjects(context: FilesystemContext, prefix: string): AsyncIterable<StoredObjectInfo> {
  assertSafeStoragePrefix(prefix);
  const slash = prefix.lastIndexOf('/');
  const directoryPart = slash >= 0 ? prefix.slice(0, slash) : '';
  const start = directoryPart === '' ? context.root : join(context.root, ...directoryPart.split('/'));
  const keys: string[] = [];
  await collectKeys(start, directoryPart === '' ? '' : `${directoryPart}/`, prefix, keys);
  keys.sort(compareKeys);
  for (const key of keys) {
    const info = await headObject(context, key);
    if (info) yield info;
  }
}

/**
 * Stores objects as files under a root directory, for single-host deployments that want images to
 * survive a restart without running an object store.
 *
 * Layout and crash safety: for key `a/b/c.png` the bytes live in `root/a/b/c.png@<version>` and the
 * facts in the sidecar `root/a/b/c.png@meta.json`. Both are written to dot-named temp files in the
 * same directory, fsynced and renamed into place, then the directory is fsynced. The sidecar is the
 * commit point: an object is visible only once its sidecar names a fully written version, so a crash
 * at any moment leaves either the old object or the new one, never a torn one, and overwrites never
 * expose a half-written file to a concurrent reader. `@` and a leading `.` cannot occur in a safe
 * key, so these names never collide with objects. Leftovers of a crash are removed by `sweepExpired`.
 */
export function createFilesystemStorage(options: FilesystemStorageOptions): FilesystemStorage {
  const context = resolveContext(options);
  return {
    id: 'filesystem',
    root: context.root,
    put: (key, body, putOptions) => putObject(context, key, body, putOptions),
    get: (key, getOptions) => getObject(context, key, getOptions),
    head: (key) => headObject(context, key),
    async delete(key: string): Promise<void> {
      const location = locate(context, key);
      try {
        await removeObject(context, location);
      } catch (error) {
        throw filesystemStorageError(error, 'delete the object');
      }
    },
    list: (prefix) => listObjects(context, prefix),
    async sweepExpired(at: Date = context.now()): Promise<number> {
      const counter = { removed: 0 };
      await sweepDirectory(context, context.root, at, counter);
      return counter.removed;
    },
    verify: () => verifyWritable(context),
    async dispose(): Promise<void> {},
  };
}

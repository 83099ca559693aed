import type { Dirent } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  filesystemStorageError,
  ignoreMissing,
  isExpired,
  isMissing,
  META_SUFFIX,
  readSidecar,
  TEMP_PATTERN,
  VERSION_PATTERN,
} from './filesystem-storage-files.ts';
import { type FilesystemContext, removeObject } from './filesystem-storage-layout.ts';

async function entriesOf(dir: string, operation: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw filesystemStorageError(error, operation);
  }
}

/** Every key under `dir` (whose keys start with `keyPrefix`) that starts with `prefix`. */
export async function collectKeys(
  dir: string,
  keyPrefix: string,
  prefix: string,
  into: string[],
): Promise<void> {
  for (const entry of (await entriesOf(dir, 'list objects')) ?? []) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      const candidate = `${keyPrefix}${entry.name}/`;
      if (candidate.startsWith(prefix) || prefix.startsWith(candidate)) {
        await collectKeys(join(dir, entry.name), candidate, prefix, into);
      }
    } else if (entry.isFile() && entry.name.endsWith(META_SUFFIX)) {
      const key = keyPrefix + entry.name.slice(0, -META_SUFFIX.length);
      if (key.startsWith(prefix)) into.push(key);
    }
  }
}

/** Deletes the expired objects of one directory; returns the current version of each kept one. */
async function sweepSidecars(
  context: FilesystemContext,
  dir: string,
  entries: Dirent[],
  at: Date,
  counter: { removed: number },
): Promise<Map<string, string>> {
  const current = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(META_SUFFIX) || entry.name.startsWith('.')) continue;
    const base = entry.name.slice(0, -META_SUFFIX.length);
    const metaPath = join(dir, entry.name);
    const sidecar = await readSidecar(metaPath).catch(() => null);
    if (!sidecar) continue;
    if (!isExpired(sidecar, at)) current.set(base, sidecar.version);
    else if (await removeObject(context, { dir, base, metaPath })) counter.removed++;
  }
  return current;
}

/** Removes a leftover (temp file or superseded version) once it is older than the grace period. */
async function removeLeftover(
  dir: string,
  name: string,
  version: RegExpExecArray | null,
  graceLimit: number,
): Promise<void> {
  const path = join(dir, name);
  try {
    const stats = await stat(path);
    if (stats.mtimeMs > graceLimit) return;
    // Re-check: a put may have committed this version since the directory was read.
    if (version !== null) {
      const sidecar = await readSidecar(join(dir, version[1]! + META_SUFFIX)).catch(() => null);
      if (sidecar?.version === version[2]) return;
    }
    await ignoreMissing(unlink(path));
  } catch (error) {
    if (!isMissing(error)) throw filesystemStorageError(error, 'sweep leftovers of interrupted writes');
  }
}

/**
 * Sweeps a directory tree: deletes expired objects, then removes leftovers of interrupted writes
 * (temp files, data files no sidecar names) older than `orphanGraceMs`, since a younger one may
 * belong to a write in flight.
 */
export async function sweepDirectory(
  context: FilesystemContext,
  dir: string,
  at: Date,
  counter: { removed: number },
): Promise<void> {
  const entries = await entriesOf(dir, 'sweep expired objects');
  if (!entries) return;
  const current = await sweepSidecars(context, dir, entries, at, counter);
  const graceLimit = Date.now() - context.orphanGraceMs;
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) await sweepDirectory(context, join(dir, entry.name), at, counter);
      continue;
    }
    if (!entry.isFile()) continue;
    const version = VERSION_PATTERN.exec(entry.name);
    const isOrphanData = version !== null && current.get(version[1]!) !== version[2];
    if (isOrphanData || TEMP_PATTERN.test(entry.name))
      await removeLeftover(dir, entry.name, version, graceLimit);
  }
}

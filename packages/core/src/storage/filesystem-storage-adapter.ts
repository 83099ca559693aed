import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { throwIfAborted } from '../provider/http/abort.ts';
import type {
  ByteRange,
  StorageAdapter,
  StorageGetOptions,
  StoragePutOptions,
  StoredObject,
  StoredObjectInfo,
} from './storage-adapter.ts';
import { assertSafeStorageKey, assertSafeStoragePrefix } from './storage-key.ts';
import {
  assertValidPut,
  compareKeys,
  lengthMismatch,
  objectTooLarge,
  putFailure,
  quoteEtag,
  resolveByteRange,
  storageError,
} from './storage-support.ts';

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

const META_SUFFIX = '@meta.json';
const VERSION_PATTERN = /^(.+)@([0-9a-f]{24})$/;
const TEMP_PATTERN = /^\.(.+)@[0-9a-f]{24}(\.meta)?\.tmp$/;

const sidecarSchema = z.object({
  format: z.literal(1),
  version: z.string().regex(/^[0-9a-f]{24}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  metadata: z.record(z.string(), z.string()),
  etag: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().optional(),
});
type Sidecar = z.infer<typeof sidecarSchema>;

const EXPLANATIONS: Record<
  string,
  [reason: 'disk_full' | 'permission_denied' | 'io_error', text: string, retryable: boolean]
> = {
  ENOSPC: ['disk_full', 'the disk is full', false],
  EDQUOT: ['disk_full', 'the disk quota is exhausted', false],
  EFBIG: ['disk_full', 'the file size limit was exceeded', false],
  EACCES: ['permission_denied', 'permission denied on the storage directory', false],
  EPERM: ['permission_denied', 'the operation is not permitted on the storage directory', false],
  EROFS: ['permission_denied', 'the storage directory is on a read-only filesystem', false],
  ENOTDIR: ['io_error', 'a part of the storage path is a file, not a directory', false],
  EISDIR: ['io_error', 'a part of the storage path is a directory where a file was expected', false],
  EMFILE: ['io_error', 'the process has too many open files', true],
  ENFILE: ['io_error', 'the system has too many open files', true],
  EIO: ['io_error', 'the disk reported an I/O error', true],
};

/**
 * Maps a Node filesystem error to STORAGE_ERROR with a reason (`disk_full`, `permission_denied`,
 * `io_error`). The message names the cause and the errno code but never the server's paths.
 * @internal exported for tests.
 */
export function filesystemStorageError(error: unknown, operation: string): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const known = code === undefined ? undefined : EXPLANATIONS[code];
  const [reason, text, retryable] = known ?? ['io_error', 'an unexpected filesystem error occurred', true];
  return storageError(
    reason,
    `Filesystem storage could not ${operation}: ${text}${code ? ` (${code})` : ''}.`,
    {
      status: reason === 'disk_full' ? 507 : 503,
      retryable,
      cause: error,
      details: { adapter: 'filesystem', ...(code ? { errno: code } : {}) },
    },
  );
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function ignoreMissing(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** A pull-based web stream over a file region: at most one chunk is read ahead, whatever the file size. */
function fileStream(
  handle: FileHandle,
  start: number,
  endExclusive: number,
  chunkBytes: number,
): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const closeHandle = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const length = Math.min(chunkBytes, endExclusive - position);
          if (length <= 0) {
            await closeHandle();
            controller.close();
            return;
          }
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          if (bytesRead === 0)
            throw storageError(
              'io_error',
              'Filesystem storage could not read the object: the file ended early.',
            );
          position += bytesRead;
          controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
          if (position >= endExclusive) {
            await closeHandle();
            controller.close();
          }
        } catch (error) {
          await closeHandle();
          controller.error(filesystemStorageError(error, 'read the object'));
        }
      },
      async cancel() {
        await closeHandle();
      },
    },
    { highWaterMark: 1 },
  );
}

function toInfo(key: string, sidecar: Sidecar): StoredObjectInfo {
  return {
    key,
    size: sidecar.size,
    mediaType: sidecar.mediaType,
    metadata: { ...sidecar.metadata },
    etag: sidecar.etag,
    createdAt: new Date(sidecar.createdAt),
    ...(sidecar.expiresAt ? { expiresAt: new Date(sidecar.expiresAt) } : {}),
  };
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
  if (typeof options?.root !== 'string' || options.root.length === 0) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'Filesystem storage needs a root directory (option "root").',
      {
        param: 'root',
      },
    );
  }
  const root = resolve(options.root);
  const maxObjectBytes = options.maxObjectBytes ?? 1024 * 1024 * 1024;
  const orphanGraceMs = options.orphanGraceMs ?? 60 * 60 * 1000;
  const durable = options.fsync ?? true;
  const readChunkBytes = options.readChunkBytes ?? 64 * 1024;
  const now = options.now ?? (() => new Date());

  const locate = (key: string) => {
    assertSafeStorageKey(key);
    const segments = key.split('/');
    const base = segments.pop()!;
    const dir = join(root, ...segments);
    // Belt and braces: a safe key can never resolve outside the root.
    if (dir !== root && !dir.startsWith(root + sep))
      throw storageError('unsafe_key', 'Refused an unsafe storage key.');
    return { dir, base, metaPath: join(dir, base + META_SUFFIX) };
  };

  const syncDirectory = async (dir: string) => {
    if (!durable || process.platform === 'win32') return;
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };

  const readSidecar = async (metaPath: string): Promise<Sidecar | null> => {
    let text: string;
    try {
      text = await readFile(metaPath, 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw filesystemStorageError(error, 'read object metadata');
    }
    const parsed = sidecarSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw storageError(
        'io_error',
        'Filesystem storage found unreadable object metadata (the sidecar file was altered).',
        {
          details: { adapter: 'filesystem' },
        },
      );
    }
    return parsed.data;
  };

  const expired = (sidecar: Sidecar, at: Date = now()) =>
    sidecar.expiresAt !== undefined && new Date(sidecar.expiresAt).getTime() <= at.getTime();

  const writeSmallFileAtomically = async (tempPath: string, finalPath: string, text: string) => {
    const handle = await open(tempPath, 'wx', 0o644);
    try {
      await writeAll(handle, Buffer.from(text, 'utf8'));
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, finalPath);
  };

  const removeObject = async (dir: string, base: string, metaPath: string): Promise<boolean> => {
    const sidecar = await readSidecar(metaPath);
    if (!sidecar) return false;
    await ignoreMissing(unlink(metaPath));
    await ignoreMissing(unlink(join(dir, `${base}@${sidecar.version}`)));
    await syncDirectory(dir).catch(() => {});
    return true;
  };

  /** Every key under `dir` (relative key prefix `keyPrefix`) that could start with `prefix`. */
  const collectKeys = async (dir: string, keyPrefix: string, prefix: string, into: string[]) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw filesystemStorageError(error, 'list objects');
    }
    for (const entry of entries) {
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
  };

  const sweepDirectory = async (dir: string, at: Date, counter: { removed: number }) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw filesystemStorageError(error, 'sweep expired objects');
    }
    const current = new Map<string, string>();
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(META_SUFFIX) || entry.name.startsWith('.')) continue;
      const base = entry.name.slice(0, -META_SUFFIX.length);
      const metaPath = join(dir, entry.name);
      const sidecar = await readSidecar(metaPath).catch(() => null);
      if (!sidecar) continue;
      if (expired(sidecar, at)) {
        if (await removeObject(dir, base, metaPath)) counter.removed++;
      } else {
        current.set(base, sidecar.version);
      }
    }
    const graceLimit = Date.now() - orphanGraceMs;
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) await sweepDirectory(path, at, counter);
        continue;
      }
      if (!entry.isFile()) continue;
      const version = VERSION_PATTERN.exec(entry.name);
      const isOrphanData = version !== null && current.get(version[1]!) !== version[2];
      const isTemp = TEMP_PATTERN.test(entry.name);
      if (!isOrphanData && !isTemp) continue;
      try {
        const stats = await stat(path);
        if (stats.mtimeMs > graceLimit) continue;
        // Re-check: a put may have committed this version since the directory was read.
        if (version !== null) {
          const sidecar = await readSidecar(join(dir, version[1]! + META_SUFFIX)).catch(() => null);
          if (sidecar?.version === version[2]) continue;
        }
        await ignoreMissing(unlink(path));
      } catch (error) {
        if (!isMissing(error)) throw filesystemStorageError(error, 'sweep leftovers of interrupted writes');
      }
    }
  };

  const head = async (key: string): Promise<StoredObjectInfo | null> => {
    const { metaPath } = locate(key);
    const sidecar = await readSidecar(metaPath);
    return sidecar && !expired(sidecar) ? toInfo(key, sidecar) : null;
  };

  return {
    id: 'filesystem',
    root,

    async put(
      key: string,
      body: Uint8Array | ReadableStream<Uint8Array>,
      putOptions: StoragePutOptions,
    ): Promise<StoredObjectInfo> {
      assertValidPut(key, putOptions);
      const { dir, base, metaPath } = locate(key);
      const { signal } = putOptions;
      const version = randomBytes(12).toString('hex');
      const tempData = join(dir, `.${base}@${version}.tmp`);
      const dataPath = join(dir, `${base}@${version}`);
      const tempMeta = join(dir, `.${base}@${version}.meta.tmp`);
      let committed = false;
      let sourceFailed = false;
      try {
        throwIfAborted(signal);
        if (body instanceof Uint8Array && body.byteLength > maxObjectBytes)
          throw objectTooLarge(maxObjectBytes);
        await mkdir(dir, { recursive: true });
        const hash = createHash('sha256');
        let size = 0;
        const handle = await open(tempData, 'wx', 0o644);
        try {
          if (body instanceof Uint8Array) {
            hash.update(body);
            size = body.byteLength;
            await writeAll(handle, body);
          } else {
            const reader = body.getReader();
            try {
              for (;;) {
                throwIfAborted(signal);
                let result: ReadableStreamReadResult<Uint8Array>;
                try {
                  result = await reader.read();
                } catch (error) {
                  sourceFailed = true;
                  throw error;
                }
                if (result.done) break;
                size += result.value.byteLength;
                if (size > maxObjectBytes) throw objectTooLarge(maxObjectBytes);
                hash.update(result.value);
                await writeAll(handle, result.value);
              }
            } catch (error) {
              await reader.cancel(error).catch(() => {});
              throw error;
            } finally {
              reader.releaseLock();
            }
          }
          if (putOptions.contentLength !== undefined && putOptions.contentLength !== size) {
            throw lengthMismatch(putOptions.contentLength, size);
          }
          if (durable) await handle.sync();
        } finally {
          await handle.close();
        }
        throwIfAborted(signal);
        await rename(tempData, dataPath);
        const info: StoredObjectInfo = {
          key,
          size,
          mediaType: putOptions.mediaType,
          metadata: { ...putOptions.metadata },
          etag: quoteEtag(hash.digest('hex').slice(0, 32)),
          createdAt: now(),
          ...(putOptions.expiresAt ? { expiresAt: new Date(putOptions.expiresAt.getTime()) } : {}),
        };
        const sidecar: Sidecar = {
          format: 1,
          version,
          size,
          mediaType: info.mediaType,
          metadata: info.metadata,
          etag: info.etag!,
          createdAt: info.createdAt!.toISOString(),
          ...(info.expiresAt ? { expiresAt: info.expiresAt.toISOString() } : {}),
        };
        const previous = await readSidecar(metaPath).catch(() => null);
        await writeSmallFileAtomically(tempMeta, metaPath, JSON.stringify(sidecar));
        committed = true;
        await syncDirectory(dir).catch(() => {});
        if (previous && previous.version !== version)
          await ignoreMissing(unlink(join(dir, `${base}@${previous.version}`))).catch(() => {});
        return { ...info, metadata: { ...info.metadata } };
      } catch (error) {
        if (!committed) {
          await Promise.all(
            [tempData, dataPath, tempMeta].map((path) => ignoreMissing(unlink(path)).catch(() => {})),
          );
        }
        if (sourceFailed || signal?.aborted) throw putFailure(error, signal, 'filesystem');
        throw filesystemStorageError(error, 'store the object');
      }
    },

    async get(key: string, getOptions?: StorageGetOptions): Promise<StoredObject | null> {
      const { dir, base, metaPath } = locate(key);
      // A concurrent overwrite may remove the version we just read about: re-read the sidecar.
      for (let attempt = 0; attempt < 3; attempt++) {
        const sidecar = await readSidecar(metaPath);
        if (!sidecar || expired(sidecar)) return null;
        let handle: FileHandle;
        try {
          handle = await open(join(dir, `${base}@${sidecar.version}`), 'r');
        } catch (error) {
          if (isMissing(error)) continue;
          throw filesystemStorageError(error, 'open the object');
        }
        let range: ByteRange | undefined;
        try {
          if (getOptions?.range) range = resolveByteRange(getOptions.range, sidecar.size);
        } catch (error) {
          await handle.close().catch(() => {});
          throw error;
        }
        const start = range?.start ?? 0;
        const endExclusive = range ? range.end + 1 : sidecar.size;
        const body = fileStream(handle, start, endExclusive, readChunkBytes);
        return { info: toInfo(key, sidecar), body, ...(range ? { range } : {}) };
      }
      return null;
    },

    head,

    async delete(key: string): Promise<void> {
      const { dir, base, metaPath } = locate(key);
      try {
        await removeObject(dir, base, metaPath);
      } catch (error) {
        throw filesystemStorageError(error, 'delete the object');
      }
    },

    async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
      assertSafeStoragePrefix(prefix);
      const slash = prefix.lastIndexOf('/');
      const directoryPart = slash >= 0 ? prefix.slice(0, slash) : '';
      const start = directoryPart === '' ? root : join(root, ...directoryPart.split('/'));
      const keys: string[] = [];
      await collectKeys(start, directoryPart === '' ? '' : `${directoryPart}/`, prefix, keys);
      keys.sort(compareKeys);
      for (const key of keys) {
        const info = await head(key);
        if (info) yield info;
      }
    },

    async sweepExpired(at: Date = now()): Promise<number> {
      const counter = { removed: 0 };
      await sweepDirectory(root, at, counter);
      return counter.removed;
    },

    async verify(): Promise<void> {
      const probe = join(root, `.pixelgate-verify@${randomBytes(12).toString('hex')}.tmp`);
      try {
        await mkdir(root, { recursive: true });
        const handle = await open(probe, 'wx', 0o644);
        try {
          await writeAll(handle, Buffer.from('pixelgate'));
          if (durable) await handle.sync();
        } finally {
          await handle.close();
        }
        await unlink(probe);
      } catch (error) {
        await ignoreMissing(unlink(probe)).catch(() => {});
        throw filesystemStorageError(error, 'write to its root directory');
      }
    },

    async dispose(): Promise<void> {},
  };
}

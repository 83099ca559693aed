import type { FileHandle } from 'node:fs/promises';
import { open, readFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { StoredObjectInfo } from './storage-adapter.ts';
import { storageError } from './storage-support.ts';

/** Suffix of an object's sidecar, `key@meta.json`: the commit point of a write. */
export const META_SUFFIX = '@meta.json';
/** A data file, `key@<version>`. */
export const VERSION_PATTERN = /^(.+)@([0-9a-f]{24})$/;
/** A temp file of a write in flight (or interrupted), `.key@<version>[.meta].tmp`. */
export const TEMP_PATTERN = /^\.(.+)@[0-9a-f]{24}(\.meta)?\.tmp$/;

/** What the sidecar file records about an object. */
export const sidecarSchema = z.object({
  format: z.literal(1),
  version: z.string().regex(/^[0-9a-f]{24}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  metadata: z.record(z.string(), z.string()),
  etag: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().optional(),
});
/** A parsed sidecar. */
export type Sidecar = z.infer<typeof sidecarSchema>;

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

/** True for "not there" errors (a missing file or a missing directory on the way). */
export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Awaits a removal or read, ignoring "not there". */
export async function ignoreMissing(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

/** Writes every byte (a single `write` may write fewer). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** A pull-based web stream over a file region: at most one chunk is read ahead, whatever the file size. */
export function fileStream(
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

/** The object's public facts from its sidecar (fresh copies: callers may mutate them). */
export function toInfo(key: string, sidecar: Sidecar): StoredObjectInfo {
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

/** Reads and checks a sidecar; `null` when there is none (no such object). */
export async function readSidecar(metaPath: string): Promise<Sidecar | null> {
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
      { details: { adapter: 'filesystem' } },
    );
  }
  return parsed.data;
}

/** True when the object's `expiresAt` is at or before `at`. */
export function isExpired(sidecar: Sidecar, at: Date): boolean {
  return sidecar.expiresAt !== undefined && new Date(sidecar.expiresAt).getTime() <= at.getTime();
}

/** fsyncs a directory (so a rename in it survives a crash); skipped when not durable or on Windows. */
export async function syncDirectory(dir: string, durable: boolean): Promise<void> {
  if (!durable || process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file to a temp name, syncs it when durable, and renames it into place. */
export async function writeSmallFileAtomically(
  tempPath: string,
  finalPath: string,
  text: string,
  durable: boolean,
): Promise<void> {
  const handle = await open(tempPath, 'wx', 0o644);
  try {
    await writeAll(handle, Buffer.from(text, 'utf8'));
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
}

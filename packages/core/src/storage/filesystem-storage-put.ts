import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../shared/abort.ts';
import {
  filesystemStorageError,
  ignoreMissing,
  readSidecar,
  type Sidecar,
  syncDirectory,
  writeAll,
  writeSmallFileAtomically,
} from './filesystem-storage-files.ts';
import { type FilesystemContext, locate } from './filesystem-storage-layout.ts';
import type { StoragePutOptions, StoredObjectInfo } from './storage-adapter.ts';
import { assertValidPut, lengthMismatch, objectTooLarge, putFailure, quoteEtag } from './storage-support.ts';

/** Marks an error thrown by the caller's body stream (as opposed to the disk). */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

/** Writes a stream into `handle`, hashing and counting, refusing more than `maxBytes`. */
async function writeStream(
  handle: FileHandle,
  body: ReadableStream<Uint8Array>,
  hash: ReturnType<typeof createHash>,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      throwIfAborted(signal);
      const result = await reader.read().catch((error: unknown) => {
        throw new SourceFailure(error);
      });
      if (result.done) return size;
      size += result.value.byteLength;
      if (size > maxBytes) throw objectTooLarge(maxBytes);
      hash.update(result.value);
      await writeAll(handle, result.value);
    }
  } catch (error) {
    await reader.cancel(error instanceof SourceFailure ? error.error : error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/** Writes the body to a new temp file and syncs it; returns its size and SHA-256 (hex). */
async function writeData(
  context: FilesystemContext,
  tempData: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  options: StoragePutOptions,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const handle = await open(tempData, 'wx', 0o644);
  try {
    let size: number;
    if (body instanceof Uint8Array) {
      hash.update(body);
      size = body.byteLength;
      await writeAll(handle, body);
    } else {
      size = await writeStream(handle, body, hash, context.maxObjectBytes, options.signal);
    }
    if (options.contentLength !== undefined && options.contentLength !== size) {
      throw lengthMismatch(options.contentLength, size);
    }
    if (context.durable) await handle.sync();
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

function sidecarOf(info: StoredObjectInfo, version: string): Sidecar {
  return {
    format: 1,
    version,
    size: info.size,
    mediaType: info.mediaType,
    metadata: info.metadata,
    etag: info.etag!,
    createdAt: info.createdAt!.toISOString(),
    ...(info.expiresAt ? { expiresAt: info.expiresAt.toISOString() } : {}),
  };
}

/**
 * Stores an object crash-safely: the bytes go to a dot-named temp file, are synced and renamed to
 * `key@<version>`; then the sidecar is written the same way, which commits the object; then the
 * directory is synced and the superseded version removed. Until the sidecar is renamed, readers
 * see the old object; on failure every file of this write is removed.
 */
export async function putObject(
  context: FilesystemContext,
  key: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  options: StoragePutOptions,
): Promise<StoredObjectInfo> {
  assertValidPut(key, options);
  const { dir, base, metaPath } = locate(context, key);
  const { signal } = options;
  const version = randomBytes(12).toString('hex');
  const tempData = join(dir, `.${base}@${version}.tmp`);
  const dataPath = join(dir, `${base}@${version}`);
  const tempMeta = join(dir, `.${base}@${version}.meta.tmp`);
  let committed = false;
  try {
    throwIfAborted(signal);
    if (body instanceof Uint8Array && body.byteLength > context.maxObjectBytes)
      throw objectTooLarge(context.maxObjectBytes);
    await mkdir(dir, { recursive: true });
    const { size, sha256 } = await writeData(context, tempData, body, options);
    throwIfAborted(signal);
    await rename(tempData, dataPath);
    const info: StoredObjectInfo = {
      key,
      size,
      mediaType: options.mediaType,
      metadata: { ...options.metadata },
      etag: quoteEtag(sha256.slice(0, 32)),
      createdAt: context.now(),
      ...(options.expiresAt ? { expiresAt: new Date(options.expiresAt.getTime()) } : {}),
    };
    const previous = await readSidecar(metaPath).catch(() => null);
    await writeSmallFileAtomically(
      tempMeta,
      metaPath,
      JSON.stringify(sidecarOf(info, version)),
      context.durable,
    );
    committed = true;
    await syncDirectory(dir, context.durable).catch(() => {});
    if (previous && previous.version !== version)
      await ignoreMissing(unlink(join(dir, `${base}@${previous.version}`))).catch(() => {});
    return { ...info, metadata: { ...info.metadata } };
  } catch (thrown) {
    if (!committed) {
      await Promise.all(
        [tempData, dataPath, tempMeta].map((path) => ignoreMissing(unlink(path)).catch(() => {})),
      );
    }
    const sourceFailed = thrown instanceof SourceFailure;
    const error = sourceFailed ? thrown.error : thrown;
    if (sourceFailed || signal?.aborted) throw putFailure(error, signal, 'filesystem');
    throw filesystemStorageError(error, 'store the object');
  }
}

/** Creates the root if needed and proves it is writable (writes, syncs and removes a probe file). */
export async function verifyWritable(context: FilesystemContext): Promise<void> {
  const probe = join(context.root, `.pixelgate-verify@${randomBytes(12).toString('hex')}.tmp`);
  try {
    await mkdir(context.root, { recursive: true });
    const handle = await open(probe, 'wx', 0o644);
    try {
      await writeAll(handle, Buffer.from('pixelgate'));
      if (context.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
  } catch (error) {
    await ignoreMissing(unlink(probe)).catch(() => {});
    throw filesystemStorageError(error, 'write to its root directory');
  }
}

import { hash } from 'node:crypto';
import { throwIfAborted } from '../shared/abort.ts';
import type {
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
  streamOfBytes,
} from './storage-support.ts';

interface Entry {
  bytes: Uint8Array;
  info: StoredObjectInfo;
}

/** Options of the memory adapter. */
export interface MemoryStorageOptions {
  /** Refuse objects larger than this (default 64 MiB): memory is the one resource this adapter uses. */
  maxObjectBytes?: number;
  /** Clock seam, so tests can move past `expiresAt` without waiting. */
  now?: () => Date;
}

async function collect(
  body: ReadableStream<Uint8Array>,
  max: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      throwIfAborted(signal);
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) throw objectTooLarge(max);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
  // Always copy: the caller's chunks may be reused buffers.
  return new Uint8Array(Buffer.concat(chunks, total));
}

function copyInfo(info: StoredObjectInfo): StoredObjectInfo {
  return { ...info, metadata: { ...info.metadata } };
}

/**
 * Keeps objects in process memory: the zero-setup default for tests, demos and single-process
 * servers that only hand out base64. Who owns the bytes: a `Uint8Array` given to `put` is kept as
 * it is, not copied (the gateway stores every image it returns, and a copy per image doubled the
 * memory an image costs), so it belongs to the store from then on and the caller must not change
 * it (see `StorageAdapter.put`); a stream's chunks are copied, since a producer may reuse them.
 * `get` hands out a copy, so a reader can never change a stored object.
 */
export function createMemoryStorage(
  options: MemoryStorageOptions = {},
): StorageAdapter & { readonly size: number } {
  const objects = new Map<string, Entry>();
  const now = options.now ?? (() => new Date());
  const maxObjectBytes = options.maxObjectBytes ?? 64 * 1024 * 1024;
  const live = (key: string): Entry | undefined => {
    const entry = objects.get(key);
    if (entry?.info.expiresAt && entry.info.expiresAt.getTime() <= now().getTime()) return undefined;
    return entry;
  };
  return {
    id: 'memory',
    get size() {
      return objects.size;
    },
    async put(key: string, body: Uint8Array | ReadableStream<Uint8Array>, putOptions: StoragePutOptions) {
      assertValidPut(key, putOptions);
      let bytes: Uint8Array;
      try {
        throwIfAborted(putOptions.signal);
        if (body instanceof Uint8Array) {
          if (body.byteLength > maxObjectBytes) throw objectTooLarge(maxObjectBytes);
          bytes = body; // handed over, see above: no copy
        } else {
          bytes = await collect(body, maxObjectBytes, putOptions.signal);
        }
        if (putOptions.contentLength !== undefined && putOptions.contentLength !== bytes.byteLength) {
          throw lengthMismatch(putOptions.contentLength, bytes.byteLength);
        }
        throwIfAborted(putOptions.signal);
      } catch (error) {
        throw putFailure(error, putOptions.signal, 'memory');
      }
      const info: StoredObjectInfo = {
        key,
        size: bytes.byteLength,
        mediaType: putOptions.mediaType,
        metadata: { ...putOptions.metadata },
        etag: quoteEtag((putOptions.sha256 ?? hash('sha256', bytes, 'hex')).slice(0, 32)),
        createdAt: now(),
        ...(putOptions.expiresAt ? { expiresAt: new Date(putOptions.expiresAt.getTime()) } : {}),
      };
      objects.set(key, { bytes, info });
      return copyInfo(info);
    },
    async get(key: string, getOptions?: StorageGetOptions): Promise<StoredObject | null> {
      assertSafeStorageKey(key);
      const entry = live(key);
      if (!entry) return null;
      const info = copyInfo(entry.info);
      if (getOptions?.range) {
        const range = resolveByteRange(getOptions.range, entry.bytes.byteLength);
        return { info, body: streamOfBytes(entry.bytes.slice(range.start, range.end + 1)), range };
      }
      return { info, body: streamOfBytes(entry.bytes.slice()) };
    },
    async head(key: string) {
      assertSafeStorageKey(key);
      const entry = live(key);
      return entry ? copyInfo(entry.info) : null;
    },
    async delete(key: string) {
      assertSafeStorageKey(key);
      objects.delete(key);
    },
    async *list(prefix: string) {
      assertSafeStoragePrefix(prefix);
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys);
      for (const key of keys) {
        const entry = live(key);
        if (entry) yield copyInfo(entry.info);
      }
    },
    async sweepExpired(at: Date = now()) {
      let removed = 0;
      for (const [key, entry] of objects) {
        if (entry.info.expiresAt && entry.info.expiresAt.getTime() <= at.getTime()) {
          objects.delete(key);
          removed++;
        }
      }
      return removed;
    },
    async dispose() {
      objects.clear();
    },
  };
}

import { createHash } from 'node:crypto';
import type { ByteRange, StorageAdapter, StoredObject, StoredObjectInfo, StoragePutOptions } from './storage-adapter.ts';
import { assertSafeStorageKey } from './storage-key.ts';

interface Entry {
  bytes: Uint8Array;
  info: StoredObjectInfo;
}

/** Options of the memory adapter. */
export interface MemoryStorageOptions {
  /** Refuse objects larger than this (default 64 MiB). */
  maxObjectBytes?: number;
  now?: () => Date;
}

async function collect(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw new RangeError(`object larger than ${max} bytes`);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Keeps objects in process memory: the zero-setup default for tests, demos and single-process
 * servers that only hand out base64. Bytes are kept by reference (no copy) when given as a buffer.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageAdapter & { readonly size: number } {
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
      assertSafeStorageKey(key);
      const bytes = body instanceof Uint8Array ? body : await collect(body, maxObjectBytes);
      const info: StoredObjectInfo = {
        key,
        size: bytes.byteLength,
        mediaType: putOptions.mediaType,
        metadata: { ...putOptions.metadata },
        etag: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`,
        createdAt: now(),
        ...(putOptions.expiresAt ? { expiresAt: putOptions.expiresAt } : {}),
      };
      objects.set(key, { bytes, info });
      return { ...info, metadata: { ...info.metadata } };
    },
    async get(key: string, getOptions?: { range?: ByteRange }): Promise<StoredObject | null> {
      assertSafeStorageKey(key);
      const entry = live(key);
      if (!entry) return null;
      const info = { ...entry.info, metadata: { ...entry.info.metadata } };
      if (getOptions?.range) {
        const { start, end } = getOptions.range;
        return { info, body: streamOf(entry.bytes.subarray(start, end + 1)), range: { start, end } };
      }
      return { info, body: streamOf(entry.bytes) };
    },
    async head(key: string) {
      assertSafeStorageKey(key);
      const entry = live(key);
      return entry ? { ...entry.info, metadata: { ...entry.info.metadata } } : null;
    },
    async delete(key: string) {
      assertSafeStorageKey(key);
      objects.delete(key);
    },
    async *list(prefix: string) {
      for (const [key, entry] of [...objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (key.startsWith(prefix) && live(key)) yield { ...entry.info, metadata: { ...entry.info.metadata } };
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

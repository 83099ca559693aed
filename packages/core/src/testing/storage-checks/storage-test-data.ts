import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { StorageAdapter, StoredObjectInfo } from '../../storage/storage-adapter.ts';

/** The media type most checks store. */
export const PNG_TYPE = 'image/png';

/** Deterministic pseudo-random bytes, so large bodies are not trivially compressible or uniform. */
export function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = state & 0xff;
  }
  return out;
}

/** A stream that hands out `bytes` in uneven chunks, like a network body. */
export function chunkedStream(
  bytes: Uint8Array,
  chunkSizes: number[] = [1, 7, 65_536, 100_003, 1_048_577],
): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const size = chunkSizes[turn++ % chunkSizes.length]!;
      // Copy, so the adapter cannot rely on the source keeping its buffers.
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** A stream that sends some bytes and then fails, like a connection dropping mid-upload. */
export function failingStream(bytesBeforeFailure: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytesBeforeFailure) {
        controller.error(new Error('source connection dropped'));
        return;
      }
      const size = Math.min(256 * 1024, bytesBeforeFailure - sent);
      controller.enqueue(bytesOf(size, sent + 3));
      sent += size;
    },
  });
}

/** Reads a body to its end. */
export async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Hex SHA-256, to compare bodies without printing megabytes on a failure. */
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every object `list` yields for a prefix. */
export async function collectList(adapter: StorageAdapter, prefix: string): Promise<StoredObjectInfo[]> {
  const out: StoredObjectInfo[] = [];
  for await (const info of adapter.list!(prefix)) out.push(info);
  return out;
}

/** Awaits a rejection and checks it is a STORAGE_ERROR (with that reason, when given). */
export async function expectStorageError(promise: Promise<unknown>, reason?: string): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(GatewayError.isInstance(error), `expected a GatewayError, got ${String(error)}`).toBe(true);
  const gatewayError = error as GatewayError;
  expect(gatewayError.code).toBe('STORAGE_ERROR');
  if (reason) expect(gatewayError.details?.reason).toBe(reason);
  return gatewayError;
}

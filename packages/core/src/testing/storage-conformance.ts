import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import type { StorageAdapter, StoredObjectInfo } from '../storage/storage-adapter.ts';

/** Optional behaviour an adapter declares; each flag switches a group of checks on. */
export interface StorageConformanceCapabilities {
  /** `presign` returns URLs the kit fetches for real. */
  presign?: boolean;
  /** `list` by prefix. */
  list?: boolean;
  /** Expired objects are hidden; `sweepExpired` (when present) removes them. */
  expiry?: boolean;
  /** Objects of tens of megabytes (the kit streams 24 MiB). Several-MB objects are always tested. */
  largeObjects?: boolean;
  /**
   * Concurrent puts of one key settle on one complete body (default true). Every adapter promises
   * it; set false only for a test backend that cannot keep it (s3rver writes an object's bytes and
   * metadata as two files, so racing writers can interleave them).
   */
  concurrentOverwrite?: boolean;
}

/** Options of {@link describeStorageConformance}. */
export interface StorageConformanceOptions {
  /** Adapter name in the test titles. */
  name: string;
  /** A fresh adapter for each test (may share a backend: the kit uses random key prefixes). */
  createAdapter(): StorageAdapter | Promise<StorageAdapter>;
  capabilities?: StorageConformanceCapabilities;
  /** Called after each test with that test's adapter (after `dispose`), e.g. to remove a temp dir. */
  cleanup?(adapter: StorageAdapter): void | Promise<void>;
}

const PNG_TYPE = 'image/png';

/** Deterministic pseudo-random bytes, so large bodies are not trivially compressible or uniform. */
function bytesOf(size: number, seed = 1): Uint8Array {
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
function chunkedStream(
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
function failingStream(bytesBeforeFailure: number): ReadableStream<Uint8Array> {
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

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function collectList(adapter: StorageAdapter, prefix: string): Promise<StoredObjectInfo[]> {
  const out: StoredObjectInfo[] = [];
  for await (const info of adapter.list!(prefix)) out.push(info);
  return out;
}

async function expectStorageError(promise: Promise<unknown>, reason?: string): Promise<GatewayError> {
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

/**
 * The storage conformance kit: one suite every {@link StorageAdapter} must pass, so the memory,
 * filesystem and S3 adapters (and any user's own) are interchangeable behind the gateway. Each
 * test gets a fresh adapter and a random key prefix, so a shared bucket or directory is safe.
 * Optional behaviour is tested when declared in `capabilities`.
 */
export function describeStorageConformance(options: StorageConformanceOptions): void {
  const capabilities = options.capabilities ?? {};

  describe(`storage conformance: ${options.name}`, () => {
    let adapter: StorageAdapter;
    let prefix: string;
    const key = (name: string) => `${prefix}${name}`;

    beforeEach(async () => {
      adapter = await options.createAdapter();
      prefix = `conformance/${randomUUID()}/`;
    });

    afterEach(async () => {
      await adapter.dispose?.();
      await options.cleanup?.(adapter);
    });

    it('has an id', () => {
      expect(typeof adapter.id).toBe('string');
      expect(adapter.id.length).toBeGreaterThan(0);
    });

    it('round-trips bytes, media type and metadata unchanged', async () => {
      const bytes = bytesOf(10_000, 7);
      const metadata = {
        tenant: 'acme-ü',
        'request-id': 'req_123',
        sha256: sha256(bytes),
        note: '100% = done & more',
      };
      const stored = await adapter.put(key('one.png'), bytes, { mediaType: PNG_TYPE, metadata });
      expect(stored).toMatchObject({
        key: key('one.png'),
        size: bytes.byteLength,
        mediaType: PNG_TYPE,
        metadata,
      });
      const object = await adapter.get(key('one.png'));
      expect(object).not.toBeNull();
      expect(object!.info).toMatchObject({
        key: key('one.png'),
        size: bytes.byteLength,
        mediaType: PNG_TYPE,
        metadata,
      });
      expect(object!.range).toBeUndefined();
      expect(sha256(await readAll(object!.body))).toBe(sha256(bytes));
      const head = await adapter.head(key('one.png'));
      expect(head).toMatchObject({
        key: key('one.png'),
        size: bytes.byteLength,
        mediaType: PNG_TYPE,
        metadata,
      });
      expect(head!.etag).toMatch(/^"[^"]+"$/);
      expect(head!.etag).toBe(object!.info.etag);
    });

    it('keeps what was stored when a reader changes the bytes it got back', async () => {
      // A put body is handed over (StorageAdapter.put): the caller does not change it afterwards.
      // What `get` returns is the reader's own, so changing it never changes the stored object.
      const bytes = bytesOf(4096, 11);
      const expected = sha256(bytes);
      await adapter.put(key('reuse.bin'), bytes, { mediaType: 'application/octet-stream' });
      const reader = (await adapter.get(key('reuse.bin')))!.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) chunk.value.fill(0);
      expect(sha256(await readAll((await adapter.get(key('reuse.bin')))!.body))).toBe(expected);
    });

    it('stores an empty object', async () => {
      await adapter.put(key('empty.bin'), new Uint8Array(0), { mediaType: 'application/octet-stream' });
      const object = await adapter.get(key('empty.bin'));
      expect(object!.info.size).toBe(0);
      expect((await readAll(object!.body)).byteLength).toBe(0);
    });

    it('streams a several-megabyte object in uneven chunks, with and without contentLength', async () => {
      const bytes = bytesOf(6 * 1024 * 1024 + 123, 5);
      const withLength = await adapter.put(key('big-a.png'), chunkedStream(bytes), {
        mediaType: PNG_TYPE,
        contentLength: bytes.byteLength,
      });
      const withoutLength = await adapter.put(key('big-b.png'), chunkedStream(bytes), {
        mediaType: PNG_TYPE,
      });
      expect(withLength.size).toBe(bytes.byteLength);
      expect(withoutLength.size).toBe(bytes.byteLength);
      for (const name of ['big-a.png', 'big-b.png']) {
        const object = await adapter.get(key(name));
        expect(object!.info.size).toBe(bytes.byteLength);
        expect(sha256(await readAll(object!.body))).toBe(sha256(bytes));
      }
    });

    it.skipIf(!capabilities.largeObjects)('streams a 24 MiB object', async () => {
      const bytes = bytesOf(24 * 1024 * 1024, 9);
      await adapter.put(key('huge.bin'), chunkedStream(bytes), { mediaType: 'application/octet-stream' });
      const object = await adapter.get(key('huge.bin'));
      expect(sha256(await readAll(object!.body))).toBe(sha256(bytes));
    });

    it('answers null for a missing key on get and head', async () => {
      expect(await adapter.get(key('missing.png'))).toBeNull();
      expect(await adapter.head(key('missing.png'))).toBeNull();
    });

    it('deletes idempotently', async () => {
      await adapter.put(key('gone.png'), bytesOf(10), { mediaType: PNG_TYPE });
      await adapter.delete(key('gone.png'));
      expect(await adapter.get(key('gone.png'))).toBeNull();
      expect(await adapter.head(key('gone.png'))).toBeNull();
      await expect(adapter.delete(key('gone.png'))).resolves.toBeUndefined();
      await expect(adapter.delete(key('never-existed.png'))).resolves.toBeUndefined();
    });

    it('replaces an object on overwrite, metadata included', async () => {
      await adapter.put(key('same.png'), bytesOf(1000, 1), {
        mediaType: PNG_TYPE,
        metadata: { tenant: 'a', old: 'yes' },
      });
      const replacement = bytesOf(1500, 2);
      await adapter.put(key('same.png'), replacement, { mediaType: 'image/webp', metadata: { tenant: 'b' } });
      const object = await adapter.get(key('same.png'));
      expect(object!.info).toMatchObject({ size: 1500, mediaType: 'image/webp', metadata: { tenant: 'b' } });
      expect(object!.info.metadata.old).toBeUndefined();
      expect(sha256(await readAll(object!.body))).toBe(sha256(replacement));
    });

    it('keeps "a" and "a/b" apart', async () => {
      await adapter.put(key('a'), bytesOf(3, 1), { mediaType: PNG_TYPE });
      await adapter.put(key('a/b'), bytesOf(5, 2), { mediaType: PNG_TYPE });
      expect((await adapter.head(key('a')))!.size).toBe(3);
      expect((await adapter.head(key('a/b')))!.size).toBe(5);
    });

    it('serves byte ranges, caps the end at the last byte and refuses a start past the end', async () => {
      const bytes = bytesOf(100_000, 4);
      await adapter.put(key('ranged.png'), bytes, { mediaType: PNG_TYPE });
      const middle = await adapter.get(key('ranged.png'), { range: { start: 10, end: 99 } });
      expect(middle!.range).toEqual({ start: 10, end: 99 });
      expect(middle!.info.size).toBe(100_000);
      expect(Buffer.from(await readAll(middle!.body)).equals(Buffer.from(bytes.subarray(10, 100)))).toBe(
        true,
      );
      const single = await adapter.get(key('ranged.png'), { range: { start: 0, end: 0 } });
      expect(Buffer.from(await readAll(single!.body)).equals(Buffer.from(bytes.subarray(0, 1)))).toBe(true);
      const tail = await adapter.get(key('ranged.png'), { range: { start: 99_990, end: 200_000 } });
      expect(tail!.range).toEqual({ start: 99_990, end: 99_999 });
      expect(Buffer.from(await readAll(tail!.body)).equals(Buffer.from(bytes.subarray(99_990)))).toBe(true);
      const error = await expectStorageError(
        adapter.get(key('ranged.png'), { range: { start: 100_000, end: 100_010 } }),
        'range_not_satisfiable',
      );
      expect(error.status).toBe(416);
      expect(await adapter.get(key('missing.png'), { range: { start: 0, end: 1 } })).toBeNull();
    });

    it('lets a reader stop early without breaking the store', async () => {
      await adapter.put(key('partial.bin'), bytesOf(3 * 1024 * 1024, 8), {
        mediaType: 'application/octet-stream',
      });
      const object = await adapter.get(key('partial.bin'));
      const reader = object!.body.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      await reader.cancel();
      await adapter.delete(key('partial.bin'));
      expect(await adapter.head(key('partial.bin'))).toBeNull();
    });

    it('refuses unsafe keys before touching the store', async () => {
      const unsafe = [
        '',
        '../escape.png',
        'a/../../escape.png',
        '/absolute.png',
        'a//b.png',
        'a/./b.png',
        'a\\b.png',
        'a/b/',
        '.hidden',
        'name with space.png',
        'nul\u0000.png',
        'line\nbreak.png',
        `${'x'.repeat(600)}.png`,
        'cafe\u0301.png', // not NFC
        'a@meta.json',
      ];
      for (const unsafeKey of unsafe) {
        await expectStorageError(adapter.put(unsafeKey, bytesOf(1), { mediaType: PNG_TYPE }), 'unsafe_key');
        await expectStorageError(adapter.get(unsafeKey), 'unsafe_key');
        await expectStorageError(adapter.head(unsafeKey), 'unsafe_key');
        await expectStorageError(adapter.delete(unsafeKey), 'unsafe_key');
      }
    });

    it('refuses metadata and media types some store could not keep', async () => {
      await expectStorageError(
        adapter.put(key('m.png'), bytesOf(1), { mediaType: PNG_TYPE, metadata: { Tenant: 'x' } }),
        'invalid_metadata',
      );
      await expectStorageError(
        adapter.put(key('m.png'), bytesOf(1), { mediaType: PNG_TYPE, metadata: { tenant: 'a\nb' } }),
        'invalid_metadata',
      );
      await expectStorageError(
        adapter.put(key('m.png'), bytesOf(1), { mediaType: PNG_TYPE, metadata: { big: 'x'.repeat(5000) } }),
        'invalid_metadata',
      );
      await expectStorageError(
        adapter.put(key('m.png'), bytesOf(1), { mediaType: 'image/png; charset=x' }),
        'invalid_media_type',
      );
      expect(await adapter.head(key('m.png'))).toBeNull();
    });

    it('leaves nothing behind when the source stream fails mid-way, and keeps an older object intact', async () => {
      const error = await expectStorageError(
        adapter.put(key('torn.png'), failingStream(2 * 1024 * 1024), { mediaType: PNG_TYPE }),
      );
      expect(error.message).not.toContain('source connection dropped');
      expect(await adapter.head(key('torn.png'))).toBeNull();
      expect(await adapter.get(key('torn.png'))).toBeNull();
      const original = bytesOf(2048, 6);
      await adapter.put(key('kept.png'), original, { mediaType: PNG_TYPE, metadata: { tenant: 'a' } });
      await expectStorageError(
        adapter.put(key('kept.png'), failingStream(6 * 1024 * 1024), { mediaType: PNG_TYPE }),
      );
      const kept = await adapter.get(key('kept.png'));
      expect(kept!.info).toMatchObject({ size: 2048, metadata: { tenant: 'a' } });
      expect(sha256(await readAll(kept!.body))).toBe(sha256(original));
      if (capabilities.list)
        expect((await collectList(adapter, prefix)).map((info) => info.key)).toEqual([key('kept.png')]);
    });

    it('refuses a body whose length differs from contentLength, storing nothing', async () => {
      await expectStorageError(
        adapter.put(key('short.png'), chunkedStream(bytesOf(1000)), {
          mediaType: PNG_TYPE,
          contentLength: 2000,
        }),
      );
      expect(await adapter.head(key('short.png'))).toBeNull();
    });

    it('honours an aborted signal with ABORTED and stores nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await adapter
        .put(key('aborted.png'), bytesOf(100), { mediaType: PNG_TYPE, signal: controller.signal })
        .catch((caught: unknown) => caught);
      expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
      expect(await adapter.head(key('aborted.png'))).toBeNull();
    });

    it('lands 20 concurrent puts of different keys intact', async () => {
      const bodies = Array.from({ length: 20 }, (_, index) => bytesOf(50_000 + index * 1000, index + 1));
      await Promise.all(
        bodies.map((bytes, index) =>
          adapter.put(key(`concurrent/${index}.png`), index % 2 === 0 ? bytes : chunkedStream(bytes), {
            mediaType: PNG_TYPE,
            metadata: { index: String(index) },
          }),
        ),
      );
      const results = await Promise.all(
        bodies.map(async (_, index) => {
          const object = await adapter.get(key(`concurrent/${index}.png`));
          return { metadata: object!.info.metadata, digest: sha256(await readAll(object!.body)) };
        }),
      );
      results.forEach((result, index) => {
        expect(result.metadata.index).toBe(String(index));
        expect(result.digest).toBe(sha256(bodies[index]!));
      });
    });

    it.skipIf(capabilities.concurrentOverwrite === false)(
      'settles 10 concurrent puts of one key on exactly one complete body',
      async () => {
        const bodies = Array.from({ length: 10 }, (_, index) => bytesOf(200_000 + index, index + 40));
        await Promise.all(
          bodies.map((bytes, index) =>
            adapter.put(key('contested.png'), chunkedStream(bytes), {
              mediaType: PNG_TYPE,
              metadata: { index: String(index) },
            }),
          ),
        );
        const object = await adapter.get(key('contested.png'));
        const index = Number(object!.info.metadata.index);
        expect(object!.info.size).toBe(bodies[index]!.byteLength);
        expect(sha256(await readAll(object!.body))).toBe(sha256(bodies[index]!));
      },
    );

    it.skipIf(!capabilities.list)('lists by prefix across "/" and Unicode keys, in UTF-8 order', async () => {
      const names = [
        'bilder/straße/ü.png',
        'bilder/straße/a.png',
        'bilder/stras.png',
        'images/猫.png',
        'images/cat.png',
        'images2/x.png',
        'top.png',
      ];
      await Promise.all(
        names.map((name, index) =>
          adapter.put(key(name), bytesOf(10 + index), { mediaType: PNG_TYPE, metadata: { tenant: 't' } }),
        ),
      );
      const everything = await collectList(adapter, prefix);
      const sorted = names.map(key).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(everything.map((info) => info.key)).toEqual(sorted);
      expect(everything.every((info) => info.mediaType === PNG_TYPE && info.metadata.tenant === 't')).toBe(
        true,
      );
      expect((await collectList(adapter, key('images/'))).map((info) => info.key)).toEqual([
        key('images/cat.png'),
        key('images/猫.png'),
      ]);
      expect((await collectList(adapter, key('images'))).map((info) => info.key)).toEqual([
        key('images/cat.png'),
        key('images/猫.png'),
        key('images2/x.png'),
      ]);
      expect((await collectList(adapter, key('bilder/stra'))).map((info) => info.key)).toEqual([
        key('bilder/stras.png'),
        key('bilder/straße/a.png'),
        key('bilder/straße/ü.png'),
      ]);
      expect(await collectList(adapter, key('nothing/'))).toEqual([]);
      await adapter.delete(key('images/cat.png'));
      expect((await collectList(adapter, key('images/'))).map((info) => info.key)).toEqual([
        key('images/猫.png'),
      ]);
    });

    it.skipIf(!capabilities.list)('refuses a listing prefix that could escape the root', async () => {
      await expectStorageError(collectList(adapter, '../'), 'unsafe_key');
      await expectStorageError(collectList(adapter, '/etc/'), 'unsafe_key');
    });

    it.skipIf(!capabilities.expiry)('hides expired objects and sweeps them', async () => {
      const past = new Date(Date.now() - 60_000);
      const future = new Date(Date.now() + 3_600_000);
      await adapter.put(key('expired.png'), bytesOf(10), { mediaType: PNG_TYPE, expiresAt: past });
      const live = await adapter.put(key('live.png'), bytesOf(10), {
        mediaType: PNG_TYPE,
        expiresAt: future,
      });
      expect(live.expiresAt?.getTime()).toBe(future.getTime());
      expect(await adapter.get(key('expired.png'))).toBeNull();
      expect(await adapter.head(key('expired.png'))).toBeNull();
      expect((await adapter.head(key('live.png')))!.expiresAt?.getTime()).toBe(future.getTime());
      if (capabilities.list)
        expect((await collectList(adapter, prefix)).map((info) => info.key)).toEqual([key('live.png')]);
      if (adapter.sweepExpired) {
        expect(await adapter.sweepExpired()).toBeGreaterThanOrEqual(1);
        expect(await adapter.head(key('live.png'))).not.toBeNull();
        expect(await adapter.sweepExpired(new Date(future.getTime() + 1000))).toBeGreaterThanOrEqual(1);
        expect(await adapter.head(key('live.png'))).toBeNull();
      }
    });

    it.skipIf(!capabilities.presign)('presigns URLs that really serve the object', async () => {
      const bytes = bytesOf(300_000, 12);
      await adapter.put(key('signed.png'), bytes, { mediaType: PNG_TYPE });
      const url = await adapter.presign!(key('signed.png'), { expiresInSeconds: 120, mediaType: PNG_TYPE });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(bytes));
      const tampered = new URL(url);
      tampered.pathname = tampered.pathname.replace('signed.png', 'other.png');
      const refused = await fetch(tampered);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await refused.body?.cancel();
      await expectStorageError(adapter.presign!('../x.png', { expiresInSeconds: 60 }), 'unsafe_key');
    });
  });
}

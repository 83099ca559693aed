import { expect } from 'vitest';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { StorageConformanceCapabilities, StorageFixture } from './storage-fixture.ts';
import {
  bytesOf,
  chunkedStream,
  expectStorageError,
  PNG_TYPE,
  readAll,
  sha256,
} from './storage-test-data.ts';

// Storage checks: what a put keeps, what get, head and delete answer, byte ranges.

function hasAnId({ adapter }: StorageFixture): void {
  expect(typeof adapter.id).toBe('string');
  expect(adapter.id.length).toBeGreaterThan(0);
}

async function roundTripsBytesAndMetadata({ adapter, key }: StorageFixture): Promise<void> {
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
}

async function keepsStoredBytesWhenAReaderChangesItsCopy({ adapter, key }: StorageFixture): Promise<void> {
  // A put body is handed over (StorageAdapter.put): the caller does not change it afterwards.
  // What `get` returns is the reader's own, so changing it never changes the stored object.
  const bytes = bytesOf(4096, 11);
  const expected = sha256(bytes);
  await adapter.put(key('reuse.bin'), bytes, { mediaType: 'application/octet-stream' });
  const reader = (await adapter.get(key('reuse.bin')))!.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) chunk.value.fill(0);
  expect(sha256(await readAll((await adapter.get(key('reuse.bin')))!.body))).toBe(expected);
}

async function storesAnEmptyObject({ adapter, key }: StorageFixture): Promise<void> {
  await adapter.put(key('empty.bin'), new Uint8Array(0), { mediaType: 'application/octet-stream' });
  const object = await adapter.get(key('empty.bin'));
  expect(object!.info.size).toBe(0);
  expect((await readAll(object!.body)).byteLength).toBe(0);
}

async function streamsSeveralMegabytesInUnevenChunks({ adapter, key }: StorageFixture): Promise<void> {
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
}

async function streamsA24MiBObject({ adapter, key }: StorageFixture): Promise<void> {
  const bytes = bytesOf(24 * 1024 * 1024, 9);
  await adapter.put(key('huge.bin'), chunkedStream(bytes), { mediaType: 'application/octet-stream' });
  const object = await adapter.get(key('huge.bin'));
  expect(sha256(await readAll(object!.body))).toBe(sha256(bytes));
}

async function answersNullForAMissingKey({ adapter, key }: StorageFixture): Promise<void> {
  expect(await adapter.get(key('missing.png'))).toBeNull();
  expect(await adapter.head(key('missing.png'))).toBeNull();
}

async function deletesIdempotently({ adapter, key }: StorageFixture): Promise<void> {
  await adapter.put(key('gone.png'), bytesOf(10), { mediaType: PNG_TYPE });
  await adapter.delete(key('gone.png'));
  expect(await adapter.get(key('gone.png'))).toBeNull();
  expect(await adapter.head(key('gone.png'))).toBeNull();
  await expect(adapter.delete(key('gone.png'))).resolves.toBeUndefined();
  await expect(adapter.delete(key('never-existed.png'))).resolves.toBeUndefined();
}

async function replacesAnObjectOnOverwrite({ adapter, key }: StorageFixture): Promise<void> {
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
}

async function keepsAKeyAndItsChildApart({ adapter, key }: StorageFixture): Promise<void> {
  await adapter.put(key('a'), bytesOf(3, 1), { mediaType: PNG_TYPE });
  await adapter.put(key('a/b'), bytesOf(5, 2), { mediaType: PNG_TYPE });
  expect((await adapter.head(key('a')))!.size).toBe(3);
  expect((await adapter.head(key('a/b')))!.size).toBe(5);
}

async function servesByteRanges({ adapter, key }: StorageFixture): Promise<void> {
  const bytes = bytesOf(100_000, 4);
  await adapter.put(key('ranged.png'), bytes, { mediaType: PNG_TYPE });
  const middle = await adapter.get(key('ranged.png'), { range: { start: 10, end: 99 } });
  expect(middle!.range).toEqual({ start: 10, end: 99 });
  expect(middle!.info.size).toBe(100_000);
  expect(Buffer.from(await readAll(middle!.body)).equals(Buffer.from(bytes.subarray(10, 100)))).toBe(true);
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
}

async function letsAReaderStopEarly({ adapter, key }: StorageFixture): Promise<void> {
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
}

/** Put, get, head and delete of single objects, large bodies and byte ranges, in the kit's order. */
export function storageObjectChecks(
  capabilities: StorageConformanceCapabilities,
): ConformanceCheck<StorageFixture>[] {
  return [
    {
      title: 'has an id',
      run: hasAnId,
    },
    {
      title: 'round-trips bytes, media type and metadata unchanged',
      run: roundTripsBytesAndMetadata,
    },
    {
      title: 'keeps what was stored when a reader changes the bytes it got back',
      run: keepsStoredBytesWhenAReaderChangesItsCopy,
    },
    {
      title: 'stores an empty object',
      run: storesAnEmptyObject,
    },
    {
      title: 'streams a several-megabyte object in uneven chunks, with and without contentLength',
      run: streamsSeveralMegabytesInUnevenChunks,
    },
    {
      title: 'streams a 24 MiB object',
      runIf: capabilities.largeObjects === true,
      run: streamsA24MiBObject,
    },
    {
      title: 'answers null for a missing key on get and head',
      run: answersNullForAMissingKey,
    },
    {
      title: 'deletes idempotently',
      run: deletesIdempotently,
    },
    {
      title: 'replaces an object on overwrite, metadata included',
      run: replacesAnObjectOnOverwrite,
    },
    {
      title: 'keeps "a" and "a/b" apart',
      run: keepsAKeyAndItsChildApart,
    },
    {
      title: 'serves byte ranges, caps the end at the last byte and refuses a start past the end',
      run: servesByteRanges,
    },
    {
      title: 'lets a reader stop early without breaking the store',
      run: letsAReaderStopEarly,
    },
  ];
}

import { expect } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { StorageFixture } from './storage-fixture.ts';
import {
  bytesOf,
  chunkedStream,
  collectList,
  expectStorageError,
  failingStream,
  PNG_TYPE,
  readAll,
  sha256,
} from './storage-test-data.ts';

// Storage checks: what an adapter refuses, and that a refused or failed put stores nothing.

async function refusesUnsafeKeys({ adapter }: StorageFixture): Promise<void> {
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
}

async function refusesMetadataSomeStoreCouldNotKeep({ adapter, key }: StorageFixture): Promise<void> {
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
}

async function leavesNothingBehindWhenTheSourceFails({
  adapter,
  prefix,
  key,
  capabilities,
}: StorageFixture): Promise<void> {
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
}

async function refusesABodyShorterThanItsContentLength({ adapter, key }: StorageFixture): Promise<void> {
  await expectStorageError(
    adapter.put(key('short.png'), chunkedStream(bytesOf(1000)), {
      mediaType: PNG_TYPE,
      contentLength: 2000,
    }),
  );
  expect(await adapter.head(key('short.png'))).toBeNull();
}

async function honoursAnAbortedSignal({ adapter, key }: StorageFixture): Promise<void> {
  const controller = new AbortController();
  controller.abort();
  const error = await adapter
    .put(key('aborted.png'), bytesOf(100), { mediaType: PNG_TYPE, signal: controller.signal })
    .catch((caught: unknown) => caught);
  expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
  expect(await adapter.head(key('aborted.png'))).toBeNull();
}

/** Unsafe keys, unkeepable metadata, failing and short sources, aborts, in the kit's order. */
export function storageRefusalChecks(): ConformanceCheck<StorageFixture>[] {
  return [
    {
      title: 'refuses unsafe keys before touching the store',
      run: refusesUnsafeKeys,
    },
    {
      title: 'refuses metadata and media types some store could not keep',
      run: refusesMetadataSomeStoreCouldNotKeep,
    },
    {
      title: 'leaves nothing behind when the source stream fails mid-way, and keeps an older object intact',
      run: leavesNothingBehindWhenTheSourceFails,
    },
    {
      title: 'refuses a body whose length differs from contentLength, storing nothing',
      run: refusesABodyShorterThanItsContentLength,
    },
    {
      title: 'honours an aborted signal with ABORTED and stores nothing',
      run: honoursAnAbortedSignal,
    },
  ];
}

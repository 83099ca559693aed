import { expect } from 'vitest';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { StorageConformanceCapabilities, StorageFixture } from './storage-fixture.ts';
import { bytesOf, collectList, expectStorageError, PNG_TYPE, sha256 } from './storage-test-data.ts';

// Storage checks for optional behaviour: listing, expiry and presigned URLs.

async function listsByPrefixInUtf8Order({ adapter, prefix, key }: StorageFixture): Promise<void> {
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
  expect(everything.every((info) => info.mediaType === PNG_TYPE && info.metadata.tenant === 't')).toBe(true);
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
}

async function refusesAListingPrefixThatEscapes({ adapter }: StorageFixture): Promise<void> {
  await expectStorageError(collectList(adapter, '../'), 'unsafe_key');
  await expectStorageError(collectList(adapter, '/etc/'), 'unsafe_key');
}

async function hidesAndSweepsExpiredObjects({
  adapter,
  prefix,
  key,
  capabilities,
}: StorageFixture): Promise<void> {
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
}

async function presignsUrlsThatServeTheObject({ adapter, key }: StorageFixture): Promise<void> {
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
}

/** Listing, expiry and presigning, each run only when the adapter declares it. */
export function storageOptionalChecks(
  capabilities: StorageConformanceCapabilities,
): ConformanceCheck<StorageFixture>[] {
  return [
    {
      title: 'lists by prefix across "/" and Unicode keys, in UTF-8 order',
      runIf: capabilities.list === true,
      run: listsByPrefixInUtf8Order,
    },
    {
      title: 'refuses a listing prefix that could escape the root',
      runIf: capabilities.list === true,
      run: refusesAListingPrefixThatEscapes,
    },
    {
      title: 'hides expired objects and sweeps them',
      runIf: capabilities.expiry === true,
      run: hidesAndSweepsExpiredObjects,
    },
    {
      title: 'presigns URLs that really serve the object',
      runIf: capabilities.presign === true,
      run: presignsUrlsThatServeTheObject,
    },
  ];
}

import { expect } from 'vitest';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { StorageConformanceCapabilities, StorageFixture } from './storage-fixture.ts';
import { bytesOf, chunkedStream, PNG_TYPE, readAll, sha256 } from './storage-test-data.ts';

// Storage checks: concurrent puts, of different keys and of one key.

async function landsConcurrentPutsOfDifferentKeys({ adapter, key }: StorageFixture): Promise<void> {
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
}

async function settlesConcurrentPutsOfOneKey({ adapter, key }: StorageFixture): Promise<void> {
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
}

/** Concurrent puts, in the kit's order. */
export function storageConcurrencyChecks(
  capabilities: StorageConformanceCapabilities,
): ConformanceCheck<StorageFixture>[] {
  return [
    {
      title: 'lands 20 concurrent puts of different keys intact',
      run: landsConcurrentPutsOfDifferentKeys,
    },
    {
      title: 'settles 10 concurrent puts of one key on exactly one complete body',
      runIf: capabilities.concurrentOverwrite !== false,
      run: settlesConcurrentPutsOfOneKey,
    },
  ];
}

import { expect } from 'vitest';
import type { RateLimitEntry } from '../../rate-limit/rate-limit-store.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { RateLimitFixture } from './rate-limit-fixture.ts';

// Rate-limit checks: several keys in one decision, costs, and keys kept apart.

async function isAllOrNothingAcrossKeys({ store, key, entry, t0 }: RateLimitFixture): Promise<void> {
  const requests: RateLimitEntry = { ...entry(10), key: `rl:tenant:${key}:requests` };
  const images: RateLimitEntry = {
    key: `rl:tenant:${key}:images`,
    limit: 4,
    windowMs: 60_000,
    cost: 3,
    unit: 'images',
    scope: 'key',
  };
  expect((await store.consume([requests, images], t0)).every((d) => d.allowed)).toBe(true);
  const refused = await store.consume([requests, images], t0 + 1);
  expect(refused.map((d) => d.allowed)).toEqual([true, false]);
  expect(refused[0]).toMatchObject({ remaining: 9, unit: 'requests', scope: 'tenant' });
  expect(refused[1]).toMatchObject({ remaining: 1, unit: 'images', scope: 'key', retryAfterMs: 59_999 });
  expect((await store.consume([requests], t0 + 2))[0]!.remaining).toBe(8);
}

async function takesNothingForAZeroCost({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  await store.consume([entry(5, 2)], t0);
  const probe = await store.consume([entry(5, 0)], t0 + 5_000);
  expect(probe[0]).toMatchObject({ allowed: true, remaining: 3, resetMs: 55_000 });
  expect((await store.consume([entry(5, 3)], t0 + 6_000))[0]).toMatchObject({
    allowed: true,
    remaining: 0,
  });
}

async function refusesACostAboveTheLimit({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  const [decision] = await store.consume([{ ...entry(4, 5), unit: 'images' }], t0);
  expect(decision).toMatchObject({ allowed: false, limit: 4, remaining: 4, unit: 'images' });
  expect(decision!.retryAfterMs).toBeUndefined();
  expect((await store.consume([entry(4, 4)], t0 + 1))[0]!.allowed).toBe(true);
}

async function keepsSeparateKeysAndWindowsApart({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  await store.consume([entry(1, 1, 1000)], t0);
  expect((await store.consume([entry(1, 1, 2000)], t0))[0]!.allowed).toBe(true);
  expect((await store.consume([entry(1, 1, 1000)], t0 + 999))[0]!.allowed).toBe(false);
  expect((await store.consume([entry(1, 1, 1000)], t0 + 1000))[0]!.allowed).toBe(true);
}

/** All-or-nothing across keys, zero and oversized costs, separate keys, in the kit's order. */
export function rateLimitEntryChecks(): ConformanceCheck<RateLimitFixture>[] {
  return [
    {
      title: 'is all or nothing across keys, and reports the room really left',
      run: isAllOrNothingAcrossKeys,
    },
    {
      title: 'takes nothing for a zero cost and reports the current room',
      run: takesNothingForAZeroCost,
    },
    {
      title: 'refuses a cost above the limit without a retry time, taking nothing',
      run: refusesACostAboveTheLimit,
    },
    {
      title: 'keeps separate keys and windows apart',
      run: keepsSeparateKeysAndWindowsApart,
    },
  ];
}

import { expect } from 'vitest';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { RateLimitFixture } from './rate-limit-fixture.ts';

// Rate-limit checks: the exact sliding window.

async function allowsUpToTheLimitThenRefuses({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  expect(await store.consume([entry(3)], t0)).toEqual([
    { allowed: true, limit: 3, remaining: 2, resetMs: 60_000, unit: 'requests', scope: 'tenant' },
  ]);
  await store.consume([entry(3)], t0 + 10_000);
  const third = await store.consume([entry(3)], t0 + 20_000);
  expect(third[0]).toMatchObject({ allowed: true, remaining: 0, resetMs: 60_000 });
  const refused = await store.consume([entry(3)], t0 + 30_000);
  expect(refused).toEqual([
    {
      allowed: false,
      limit: 3,
      remaining: 0,
      resetMs: 50_000,
      retryAfterMs: 30_000,
      unit: 'requests',
      scope: 'tenant',
    },
  ]);
}

async function freesAHitExactlyAtTheWindowEdge({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  await store.consume([entry(1)], t0);
  expect((await store.consume([entry(1)], t0 + 59_999))[0]).toMatchObject({
    allowed: false,
    retryAfterMs: 1,
  });
  expect((await store.consume([entry(1)], t0 + 60_000))[0]).toMatchObject({
    allowed: true,
    remaining: 0,
  });
}

async function slidesWithoutADoubleBurst({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  let allowed = 0;
  for (let i = 0; i < 10; i++) if ((await store.consume([entry(10)], t0 + 59_000 + i))[0]!.allowed) allowed++;
  for (let i = 0; i < 10; i++) if ((await store.consume([entry(10)], t0 + 60_001 + i))[0]!.allowed) allowed++;
  expect(allowed).toBe(10);
}

async function waitsForAsManyOldHitsAsTheCostNeeds({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  await store.consume([entry(10, 4)], t0);
  await store.consume([entry(10, 4)], t0 + 10_000);
  await store.consume([entry(10, 2)], t0 + 20_000);
  const refused = await store.consume([entry(10, 6)], t0 + 30_000);
  expect(refused[0]).toMatchObject({
    allowed: false,
    remaining: 0,
    retryAfterMs: 40_000,
    resetMs: 50_000,
  });
}

async function countsHitsAtTheSameInstantSeparately({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  for (let i = 0; i < 4; i++) await store.consume([entry(5, 1)], t0);
  const last = await store.consume([entry(5, 1)], t0);
  expect(last[0]).toMatchObject({ allowed: true, remaining: 0 });
  expect((await store.consume([entry(5, 1)], t0))[0]).toMatchObject({
    allowed: false,
    retryAfterMs: 60_000,
  });
}

/** The sliding window to the millisecond: limits, waits, edges, bursts, in the kit's order. */
export function rateLimitWindowChecks(): ConformanceCheck<RateLimitFixture>[] {
  return [
    {
      title: 'allows up to the limit, then refuses with the exact wait',
      run: allowsUpToTheLimitThenRefuses,
    },
    {
      title: 'frees a hit exactly at the window edge, not a millisecond before',
      run: freesAHitExactlyAtTheWindowEdge,
    },
    {
      title: 'slides: no double burst across a window boundary',
      run: slidesWithoutADoubleBurst,
    },
    {
      title: 'waits for as many old hits as the cost needs',
      run: waitsForAsManyOldHitsAsTheCostNeeds,
    },
    {
      title: 'counts hits at the same instant separately',
      run: countsHitsAtTheSameInstantSeparately,
    },
  ];
}

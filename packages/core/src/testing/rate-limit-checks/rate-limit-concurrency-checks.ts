import { expect } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import type { RateLimitFixture, RateLimitStoreConformanceOptions } from './rate-limit-fixture.ts';

// Rate-limit checks: concurrency, malformed entries, peers and a backend that is gone.

async function neverLetsConcurrentRequestsPastTheLimit({
  store,
  entry,
  t0,
}: RateLimitFixture): Promise<void> {
  const results = await Promise.all(Array.from({ length: 200 }, () => store.consume([entry(50)], t0)));
  expect(results.filter((r) => r[0]!.allowed)).toHaveLength(50);
  const remaining = results.filter((r) => r[0]!.allowed).map((r) => r[0]!.remaining);
  expect(new Set(remaining).size).toBe(50); // each grant saw its own count
}

async function rejectsMalformedEntries({ store, entry, t0 }: RateLimitFixture): Promise<void> {
  for (const bad of [entry(0), entry(1.5), entry(1, -1), entry(1, 1, 0)]) {
    const caught = await store.consume([bad], t0).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(GatewayError.isInstance(caught)).toBe(true);
  }
}

async function holdsTheLimitAcrossTwoInstances({
  store,
  stores,
  entry,
  t0,
  options,
}: RateLimitFixture): Promise<void> {
  const peer = await options.createPeer!(store);
  stores.push(peer);
  const results = await Promise.all(
    Array.from({ length: 120 }, (_, index) => (index % 2 ? peer : store).consume([entry(30)], t0 + index)),
  );
  expect(results.filter((r) => r[0]!.allowed)).toHaveLength(30);
  // Which 30 got in depends on arrival; the wait is until the earliest of them leaves.
  const earliest = results.findIndex((r) => r[0]!.allowed);
  const after = await peer.consume([entry(30)], t0 + 200);
  expect(after[0]).toMatchObject({ allowed: false, retryAfterMs: 60_000 + earliest - 200 });
}

async function failsClosedWhenTheBackendIsUnreachable({
  stores,
  entry,
  t0,
  options,
}: RateLimitFixture): Promise<void> {
  const down = await options.unavailable!.createStore();
  stores.push(down);
  const caught = await down.consume([entry(5)], t0).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(GatewayError.isInstance(caught)).toBe(true);
}

async function failsOpenWhenTheBackendIsUnreachable({
  stores,
  entry,
  t0,
  options,
}: RateLimitFixture): Promise<void> {
  const down = await options.unavailable!.createStore();
  stores.push(down);
  const [decision] = await down.consume([entry(5, 2)], t0);
  expect(decision).toMatchObject({ allowed: true, limit: 5, unit: 'requests', scope: 'tenant' });
}

/** Exact limits under concurrency (and across a peer), refused entries, the declared down mode. */
export function rateLimitConcurrencyChecks(
  options: RateLimitStoreConformanceOptions,
): ConformanceCheck<RateLimitFixture>[] {
  return [
    {
      title: 'never lets 200 concurrent requests past a limit of 50',
      run: neverLetsConcurrentRequestsPastTheLimit,
    },
    {
      title: 'rejects malformed entries with a GatewayError',
      run: rejectsMalformedEntries,
    },
    {
      title: 'holds the limit exactly across two instances',
      runIf: options.createPeer !== undefined,
      run: holdsTheLimitAcrossTwoInstances,
    },
    {
      title: 'fails closed with a GatewayError when the backend is unreachable',
      runIf: options.unavailable?.mode === 'closed',
      run: failsClosedWhenTheBackendIsUnreachable,
    },
    {
      title: 'fails open (allows, with an untouched limit) when the backend is unreachable',
      runIf: options.unavailable?.mode === 'open',
      run: failsOpenWhenTheBackendIsUnreachable,
    },
  ];
}

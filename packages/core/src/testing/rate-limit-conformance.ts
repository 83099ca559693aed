import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import type { RateLimitEntry, RateLimitStore } from '../rate-limit/rate-limit-store.ts';

/** Options of {@link describeRateLimitStoreConformance}. */
export interface RateLimitStoreConformanceOptions {
  /** Store name in the test titles. */
  name: string;
  /** A fresh store for each test (may share a backend: the kit uses random keys). */
  createStore(): RateLimitStore | Promise<RateLimitStore>;
  /** A second store on the same backend as `store`; the kit then checks limits across both. */
  createPeer?(store: RateLimitStore): RateLimitStore | Promise<RateLimitStore>;
  /**
   * A store whose backend cannot be reached, and what it is configured to do then: `closed`
   * (refuse with a GatewayError) or `open` (allow, with the figures of an untouched limit).
   */
  unavailable?: {
    mode: 'closed' | 'open';
    createStore(): RateLimitStore | Promise<RateLimitStore>;
  };
  /** Called after each test with that test's stores (e.g. to delete keys or close clients). */
  cleanup?(stores: RateLimitStore[]): void | Promise<void>;
}

/**
 * The rate-limit store conformance kit: one suite every {@link RateLimitStore} must pass, so the
 * memory store and shared ones (Redis, or a user's own) answer alike: an exact sliding window (a
 * hit at `t` counts while `now < t + windowMs`), exact `retryAfterMs` and `resetMs`, costs, all or
 * nothing across keys, `unit` and `scope` echoed for the `x-ratelimit-*` headers, exact limits
 * under concurrency (and across instances with `createPeer`), and the declared behaviour when the
 * backend is gone. Time is the `now` the caller passes, so the checks are exact and instant.
 */
export function describeRateLimitStoreConformance(options: RateLimitStoreConformanceOptions): void {
  describe(`rate-limit store conformance: ${options.name}`, () => {
    let store: RateLimitStore;
    let stores: RateLimitStore[];
    let key: string;
    const entry = (limit: number, cost = 1, windowMs = 60_000, name = 'requests'): RateLimitEntry => ({
      key: `rl:tenant:${key}:${name}:${windowMs}`,
      limit,
      windowMs,
      cost,
      unit: 'requests',
      scope: 'tenant',
    });
    // A base time of today's order, so stores that expire keys by wall time keep them.
    const t0 = Math.floor(Date.now() / 1000) * 1000;

    beforeEach(async () => {
      store = await options.createStore();
      stores = [store];
      key = `kit-${randomUUID().slice(0, 8)}`;
    });

    afterEach(async () => {
      await options.cleanup?.(stores);
    });

    it('allows up to the limit, then refuses with the exact wait', async () => {
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
    });

    it('frees a hit exactly at the window edge, not a millisecond before', async () => {
      await store.consume([entry(1)], t0);
      expect((await store.consume([entry(1)], t0 + 59_999))[0]).toMatchObject({
        allowed: false,
        retryAfterMs: 1,
      });
      expect((await store.consume([entry(1)], t0 + 60_000))[0]).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });

    it('slides: no double burst across a window boundary', async () => {
      let allowed = 0;
      for (let i = 0; i < 10; i++)
        if ((await store.consume([entry(10)], t0 + 59_000 + i))[0]!.allowed) allowed++;
      for (let i = 0; i < 10; i++)
        if ((await store.consume([entry(10)], t0 + 60_001 + i))[0]!.allowed) allowed++;
      expect(allowed).toBe(10);
    });

    it('waits for as many old hits as the cost needs', async () => {
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
    });

    it('counts hits at the same instant separately', async () => {
      for (let i = 0; i < 4; i++) await store.consume([entry(5, 1)], t0);
      const last = await store.consume([entry(5, 1)], t0);
      expect(last[0]).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.consume([entry(5, 1)], t0))[0]).toMatchObject({
        allowed: false,
        retryAfterMs: 60_000,
      });
    });

    it('is all or nothing across keys, and reports the room really left', async () => {
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
    });

    it('takes nothing for a zero cost and reports the current room', async () => {
      await store.consume([entry(5, 2)], t0);
      const probe = await store.consume([entry(5, 0)], t0 + 5_000);
      expect(probe[0]).toMatchObject({ allowed: true, remaining: 3, resetMs: 55_000 });
      expect((await store.consume([entry(5, 3)], t0 + 6_000))[0]).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });

    it('refuses a cost above the limit without a retry time, taking nothing', async () => {
      const [decision] = await store.consume([{ ...entry(4, 5), unit: 'images' }], t0);
      expect(decision).toMatchObject({ allowed: false, limit: 4, remaining: 4, unit: 'images' });
      expect(decision!.retryAfterMs).toBeUndefined();
      expect((await store.consume([entry(4, 4)], t0 + 1))[0]!.allowed).toBe(true);
    });

    it('keeps separate keys and windows apart', async () => {
      await store.consume([entry(1, 1, 1000)], t0);
      expect((await store.consume([entry(1, 1, 2000)], t0))[0]!.allowed).toBe(true);
      expect((await store.consume([entry(1, 1, 1000)], t0 + 999))[0]!.allowed).toBe(false);
      expect((await store.consume([entry(1, 1, 1000)], t0 + 1000))[0]!.allowed).toBe(true);
    });

    it('never lets 200 concurrent requests past a limit of 50', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, () => store.consume([entry(50)], t0)));
      expect(results.filter((r) => r[0]!.allowed)).toHaveLength(50);
      const remaining = results.filter((r) => r[0]!.allowed).map((r) => r[0]!.remaining);
      expect(new Set(remaining).size).toBe(50); // each grant saw its own count
    });

    it('rejects malformed entries with a GatewayError', async () => {
      for (const bad of [entry(0), entry(1.5), entry(1, -1), entry(1, 1, 0)]) {
        const caught = await store.consume([bad], t0).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(GatewayError.isInstance(caught)).toBe(true);
      }
    });

    it.runIf(options.createPeer !== undefined)('holds the limit exactly across two instances', async () => {
      const peer = await options.createPeer!(store);
      stores.push(peer);
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, index) =>
          (index % 2 ? peer : store).consume([entry(30)], t0 + index),
        ),
      );
      expect(results.filter((r) => r[0]!.allowed)).toHaveLength(30);
      // Which 30 got in depends on arrival; the wait is until the earliest of them leaves.
      const earliest = results.findIndex((r) => r[0]!.allowed);
      const after = await peer.consume([entry(30)], t0 + 200);
      expect(after[0]).toMatchObject({ allowed: false, retryAfterMs: 60_000 + earliest - 200 });
    });

    it.runIf(options.unavailable?.mode === 'closed')(
      'fails closed with a GatewayError when the backend is unreachable',
      async () => {
        const down = await options.unavailable!.createStore();
        stores.push(down);
        const caught = await down.consume([entry(5)], t0).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(GatewayError.isInstance(caught)).toBe(true);
      },
    );

    it.runIf(options.unavailable?.mode === 'open')(
      'fails open (allows, with an untouched limit) when the backend is unreachable',
      async () => {
        const down = await options.unavailable!.createStore();
        stores.push(down);
        const [decision] = await down.consume([entry(5, 2)], t0);
        expect(decision).toMatchObject({ allowed: true, limit: 5, unit: 'requests', scope: 'tenant' });
      },
    );
  });
}

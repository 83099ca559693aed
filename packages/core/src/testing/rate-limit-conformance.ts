import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe } from 'vitest';
import type { RateLimitEntry, RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import { registerChecks } from './conformance-checks.ts';
import { rateLimitConcurrencyChecks } from './rate-limit-checks/rate-limit-concurrency-checks.ts';
import { rateLimitEntryChecks } from './rate-limit-checks/rate-limit-entry-checks.ts';
import type {
  RateLimitFixture,
  RateLimitStoreConformanceOptions,
} from './rate-limit-checks/rate-limit-fixture.ts';
import { rateLimitWindowChecks } from './rate-limit-checks/rate-limit-window-checks.ts';

export type { RateLimitStoreConformanceOptions } from './rate-limit-checks/rate-limit-fixture.ts';

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

    const fixture = (): RateLimitFixture => ({ store, stores, key, entry, t0, options });
    registerChecks(
      [...rateLimitWindowChecks(), ...rateLimitEntryChecks(), ...rateLimitConcurrencyChecks(options)],
      fixture,
    );
  });
}

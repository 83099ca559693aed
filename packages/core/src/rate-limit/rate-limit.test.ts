import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.ts';
import {
  formatRateLimitDuration,
  rateLimitEntries,
  rateLimitedError,
  rateLimitHeaders,
} from './rate-limit-helpers.ts';
import { type RateLimitEntry, rateLimitRuleSchema } from './rate-limit-store.ts';

const entry = (limit: number, cost = 1, windowMs = 60_000): RateLimitEntry => ({
  key: 'k',
  limit,
  windowMs,
  cost,
  unit: 'requests',
  scope: 'tenant',
});

describe('createMemoryRateLimitStore (sliding window log)', () => {
  it('allows up to the limit, then refuses with the exact wait', async () => {
    const store = createMemoryRateLimitStore();
    const t0 = 1_000_000;
    expect(await store.consume([entry(3)], t0)).toEqual([
      { allowed: true, limit: 3, remaining: 2, resetMs: 60_000, unit: 'requests', scope: 'tenant' },
    ]);
    await store.consume([entry(3)], t0 + 10_000);
    const third = await store.consume([entry(3)], t0 + 20_000);
    expect(third[0]).toMatchObject({ allowed: true, remaining: 0, resetMs: 60_000 });
    const refused = await store.consume([entry(3)], t0 + 30_000);
    expect(refused[0]).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 30_000, resetMs: 50_000 });
  });

  it('frees a hit exactly at the window edge, not a millisecond before', async () => {
    const store = createMemoryRateLimitStore();
    const t0 = 5_000;
    await store.consume([entry(1)], t0);
    const before = await store.consume([entry(1)], t0 + 59_999);
    expect(before[0]).toMatchObject({ allowed: false, retryAfterMs: 1 });
    const at = await store.consume([entry(1)], t0 + 60_000);
    expect(at[0]).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('has no double burst across a window boundary (sliding, not fixed)', async () => {
    const store = createMemoryRateLimitStore();
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((await store.consume([entry(10)], 59_000 + i))[0]!.allowed) allowed++;
    for (let i = 0; i < 10; i++) if ((await store.consume([entry(10)], 60_001 + i))[0]!.allowed) allowed++;
    expect(allowed).toBe(10);
  });

  it('waits for as many old hits as the cost needs', async () => {
    const store = createMemoryRateLimitStore();
    await store.consume([entry(10, 4)], 0);
    await store.consume([entry(10, 4)], 10_000);
    await store.consume([entry(10, 2)], 20_000);
    const refused = await store.consume([entry(10, 6)], 30_000);
    expect(refused[0]).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 40_000, resetMs: 50_000 });
  });

  it('is all or nothing across keys', async () => {
    const store = createMemoryRateLimitStore();
    const tenant: RateLimitEntry = { key: 'tenant', limit: 10, windowMs: 60_000, cost: 1, unit: 'requests' };
    const images: RateLimitEntry = { key: 'images', limit: 4, windowMs: 60_000, cost: 3, unit: 'images' };
    expect((await store.consume([tenant, images], 0)).every((d) => d.allowed)).toBe(true);
    const refused = await store.consume([tenant, images], 1);
    expect(refused.map((d) => d.allowed)).toEqual([true, false]);
    expect(refused[0]!.remaining).toBe(9); // nothing was taken from the tenant limit
    const after = await store.consume([{ ...tenant, cost: 1 }], 2);
    expect(after[0]!.remaining).toBe(8);
  });

  it('never lets concurrent requests past the limit', async () => {
    const store = createMemoryRateLimitStore();
    const results = await Promise.all(Array.from({ length: 200 }, () => store.consume([entry(50)], 1000)));
    expect(results.filter((r) => r[0]!.allowed)).toHaveLength(50);
  });

  it('refuses a cost above the limit without a retry time', async () => {
    const store = createMemoryRateLimitStore();
    const [decision] = await store.consume([{ ...entry(4, 5), unit: 'images' }], 0);
    expect(decision).toMatchObject({ allowed: false, remaining: 4 });
    expect(decision!.retryAfterMs).toBeUndefined();
    const error = rateLimitedError([decision!]);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: false, param: 'n' });
  });

  it('forgets keys whose hits have expired', async () => {
    const store = createMemoryRateLimitStore();
    await store.consume([entry(5)], 0);
    expect(store.size()).toBe(1);
    await store.consume([{ ...entry(5), cost: 0 }], 60_000);
    expect(store.size()).toBe(0);
  });

  it('forgets idle keys of other callers as time passes', async () => {
    const store = createMemoryRateLimitStore();
    for (let i = 0; i < 50; i++) await store.consume([{ ...entry(5), key: `tenant-${i}` }], 0);
    expect(store.size()).toBe(50);
    await store.consume([{ ...entry(5), key: 'late' }], 120_000);
    expect(store.size()).toBe(1);
  });

  it('rejects malformed entries', async () => {
    const store = createMemoryRateLimitStore();
    await expect(store.consume([entry(0)], 0)).rejects.toThrow(/positive integer limit/);
    await expect(store.consume([entry(1, -1)], 0)).rejects.toThrow(/non-negative integer cost/);
  });
});

describe('rate-limit helpers', () => {
  const rules = [
    rateLimitRuleSchema.parse({ scope: 'tenant', unit: 'requests', limit: 60 }),
    rateLimitRuleSchema.parse({ scope: 'key', unit: 'images', limit: 20, windowMs: 3_600_000 }),
    rateLimitRuleSchema.parse({ scope: 'user', unit: 'requests', limit: 5 }),
  ];

  it('builds entries per scope the caller has, costing n for images', () => {
    expect(rateLimitEntries(rules, { tenantId: 'acme', keyId: 'k1' }, 4)).toEqual([
      {
        key: 'rl:tenant:acme:requests:60000',
        limit: 60,
        windowMs: 60_000,
        cost: 1,
        unit: 'requests',
        scope: 'tenant',
      },
      {
        key: 'rl:tenant:acme:key:k1:images:3600000',
        limit: 20,
        windowMs: 3_600_000,
        cost: 4,
        unit: 'images',
        scope: 'key',
      },
    ]);
  });

  it('gives OpenAI-style headers from the tightest limit per unit', () => {
    const headers = rateLimitHeaders([
      { allowed: true, limit: 60, remaining: 59, resetMs: 60_000, unit: 'requests' },
      { allowed: true, limit: 5, remaining: 2, resetMs: 1_500, unit: 'requests' },
      { allowed: true, limit: 20, remaining: 16, resetMs: 3_600_000, unit: 'images' },
    ]);
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-limit-images': '20',
      'x-ratelimit-remaining-images': '16',
      'x-ratelimit-reset-images': '1h0m0s',
    });
    expect(rateLimitHeaders([])).toEqual({});
  });

  it('formats durations', () => {
    expect([0, 250, 1000, 1500, 61_000, 360_000, 3_723_000].map(formatRateLimitDuration)).toEqual([
      '0ms',
      '250ms',
      '1s',
      '1.5s',
      '1m1s',
      '6m0s',
      '1h2m3s',
    ]);
  });

  it('RATE_LIMITED carries the longest wait and the limit facts', () => {
    const error = rateLimitedError([
      {
        allowed: false,
        limit: 60,
        remaining: 0,
        resetMs: 30_000,
        retryAfterMs: 1_000,
        unit: 'requests',
        scope: 'tenant',
      },
      {
        allowed: false,
        limit: 20,
        remaining: 1,
        resetMs: 50_000,
        retryAfterMs: 12_000,
        unit: 'images',
        scope: 'key',
      },
      { allowed: true, limit: 5, remaining: 3, resetMs: 0, unit: 'requests', scope: 'user' },
    ]);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryable: true, retryAfterMs: 12_000 });
    expect(error.message).toBe('Rate limit of 20 images for this key reached; retry after 12s.');
    expect(error.details).toEqual({
      limit: 20,
      remaining: 1,
      reset_ms: 50_000,
      retry_after_ms: 12_000,
      unit: 'images',
      scope: 'key',
    });
  });
});

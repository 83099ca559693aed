import { GatewayError } from '@pixelgate/core/provider-utils';
import type { BudgetBucket, BudgetReservation, RateLimitEntry } from '@pixelgate/core/spec';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasRedisServer, PrivateRedis } from './private-redis.ts';
import { createRedisBudgetStore, type RedisBudgetStore } from './redis-budget-store.ts';
import { checkRedisPrefix, commonHashTag, hashTagOf } from './redis-keys.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from './redis-rate-limit-store.ts';
import { createRedisStores } from './redis-stores.ts';
import { deletePrefix, redisTestUrl, testPrefix } from './test-support/redis-test-env.ts';

const url = redisTestUrl ?? '';
const bucket = (tenant: string, limitUsd: number): BudgetBucket => ({
  key: `budget:tenant:${tenant}:month:2026-12`,
  limitUsd,
  label: `tenant ${tenant}, month 2026-12`,
  expiresAt: Date.UTC(2027, 0, 1),
});
const entry = (tenant: string, limit: number): RateLimitEntry => ({
  key: `rl:tenant:${tenant}:requests:60000`,
  limit,
  windowMs: 60_000,
  cost: 1,
  unit: 'requests',
  scope: 'tenant',
});

describe('Redis keys', () => {
  it('tags every key of a tenant alike, so one script touches one cluster slot', () => {
    expect(hashTagOf('budget:tenant:acme:month:2026-12')).toBe('t:acme');
    expect(hashTagOf('budget:tenant:acme:user:bob:day:2026-12-07')).toBe('t:acme');
    expect(hashTagOf('rl:tenant:acme:key:k1:images:60000')).toBe('t:acme');
    expect(hashTagOf('custom-bucket')).toBe('shared');
    expect(commonHashTag(['budget:tenant:a:month:x', 'budget:tenant:a:user:u:month:x'])).toBe('t:a');
  });

  it('refuses one atomic step over two tenants, and prefixes with braces', () => {
    expect(() => commonHashTag(['budget:tenant:a:month:x', 'budget:tenant:b:month:x'])).toThrow(
      /different tenants/,
    );
    expect(() => checkRedisPrefix('app{1}:')).toThrow(/no braces/);
    expect(checkRedisPrefix('prod:eu-1:')).toBe('prod:eu-1:');
    expect(() => createRedisBudgetStore({ url: 'redis://127.0.0.1:1', leaseMs: 0 })).toThrow(/leaseMs/);
  });
});

describe.skipIf(!redisTestUrl)('Redis stores on a real Redis', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  const prefixes: string[] = [];
  const prefix = () => {
    const value = testPrefix();
    prefixes.push(value);
    return value;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const value of prefixes.splice(0)) await deletePrefix(url, value);
  });

  it('keeps its keys under the deployment prefix with the tenant hash tag', async () => {
    const p = prefix();
    const store = createRedisBudgetStore({ url, prefix: p });
    opened.push(store);
    const held = (await store.reserve([bucket('acme', 1)], 0.25, 'rsv_1')) as BudgetReservation;
    await store.settle(held, 0.2);
    const keys = await store.client.keys(`${p}*`);
    expect(keys.sort()).toEqual([`${p}{t:acme}:b:budget:tenant:acme:month:2026-12`, `${p}{t:acme}:d:rsv_1`]);
    // The month bucket lives until its window ends plus the retention, not forever.
    const ttl = await store.client.pttl(`${p}{t:acme}:b:budget:tenant:acme:month:2026-12`);
    expect(ttl).toBeGreaterThan(0);
    expect(await store.snapshot('budget:tenant:acme:month:2026-12')).toEqual({
      spentUsd: 0.2,
      reservedUsd: 0,
    });
  });

  it('keeps two deployments on one Redis apart', async () => {
    const a = createRedisBudgetStore({ url, prefix: prefix() });
    const b = createRedisBudgetStore({ url, prefix: prefix() });
    opened.push(a, b);
    await a.reserve([bucket('acme', 1)], 0.9, 'rsv_a');
    expect(await b.used('budget:tenant:acme:month:2026-12')).toBe(0);
  });

  it('uses an application client without closing it', async () => {
    const client = new Redis(url);
    const store = createRedisRateLimitStore({ client, prefix: prefix() });
    const [decision] = await store.consume([entry('acme', 2)], Date.now());
    expect(decision).toMatchObject({ allowed: true, remaining: 1 });
    await store.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});

describe.skipIf(!redisTestUrl)('Redis down and back (a private redis-server)', async () => {
  const available = await hasRedisServer();
  let server: PrivateRedis;
  let budget: RedisBudgetStore;
  let closedLimits: RedisRateLimitStore;
  let openLimits: RedisRateLimitStore;
  const warnings: string[] = [];

  beforeAll(async () => {
    if (!available) return;
    server = new PrivateRedis(await freePort());
    await server.start();
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message),
    };
    budget = createRedisBudgetStore({ url: server.url, commandTimeoutMs: 500 });
    closedLimits = createRedisRateLimitStore({ url: server.url, commandTimeoutMs: 500 });
    openLimits = createRedisRateLimitStore({
      url: server.url,
      commandTimeoutMs: 500,
      onUnavailable: 'open',
      logger,
    });
  });
  afterAll(async () => {
    if (!available) return;
    for (const store of [budget, closedLimits, openLimits]) store.client.disconnect();
    await server.stop();
  });

  it.runIf(available)('fails closed while Redis is down, says so plainly, and recovers after', async () => {
    const month = bucket('acme', 1);
    expect('id' in (await budget.reserve([month], 0.1, 'rsv_before'))).toBe(true);
    await server.stop();

    const error = (await budget
      .reserve([month], 0.1, 'rsv_down')
      .catch((caught: unknown) => caught)) as GatewayError;
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', status: 503, retryable: true });
    expect(error.message).toBe(
      'The budget store (Redis) cannot be reached; requests that spend money are refused until it is back (no request is allowed unaccounted).',
    );
    const limited = (await closedLimits
      .consume([entry('acme', 5)], Date.now())
      .catch((c: unknown) => c)) as GatewayError;
    expect(limited).toMatchObject({ code: 'STORAGE_ERROR' });
    expect(limited.message).toMatch(/rate-limit store \(Redis\) cannot be reached/);
    const [open] = await openLimits.consume([entry('acme', 5)], Date.now());
    expect(open).toMatchObject({ allowed: true, limit: 5 });
    await openLimits.consume([entry('acme', 5)], Date.now());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/NOT enforced/);

    await server.start();
    await expect
      .poll(async () => 'id' in (await budget.reserve([month], 0.1, `rsv_${Date.now()}`).catch(() => ({}))), {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(true);
    await expect
      .poll(async () => (await openLimits.consume([entry('acme', 5)], Date.now()))[0]!.remaining, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(4);
    expect(warnings[1]).toMatch(/enforced/);
  });
});

describe.skipIf(!redisTestUrl)('createRedisStores', () => {
  it('gives both stores one connection, closed once', async () => {
    const p = testPrefix();
    const stores = createRedisStores({ url, prefix: p, leaseMs: 60_000 });
    expect(stores.budgetStore.client).toBe(stores.rateLimitStore.client);
    const [decision] = await stores.rateLimitStore.consume([entry('acme', 1)], Date.now());
    expect(decision!.allowed).toBe(true);
    expect('id' in (await stores.budgetStore.reserve([bucket('acme', 1)], 0.5, 'rsv_1'))).toBe(true);
    await stores.close();
    await expect.poll(() => stores.budgetStore.client.status).toBe('end');
    await deletePrefix(url, p);
  });
});

describe.skipIf(!redisTestUrl)('Redis rate limits with a long log', () => {
  it('finds the exact wait past the first page of hits', async () => {
    const p = testPrefix();
    const store = createRedisRateLimitStore({ url, prefix: p });
    const t0 = Date.now();
    const limit: RateLimitEntry = { ...entry('acme', 250), cost: 1 };
    for (let index = 0; index < 250; index++) await store.consume([limit], t0 + index);
    const [refused] = await store.consume([{ ...limit, cost: 150 }], t0 + 1000);
    // 150 of the oldest hits must leave: the 150th is at t0 + 149.
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 60_000 + 149 - 1000 });
    await store.close();
    await deletePrefix(url, p);
  });
});

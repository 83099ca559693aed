import {
  BackendError,
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  createMemoryBudgetStore,
  type FetchHandler,
  type Gateway,
} from '@pixelgate/core';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';
import { createIdempotency } from './idempotency.ts';

const KEY_A = 'pg-idem-tenant-a-0123456789';
const KEY_B = 'pg-idem-tenant-b-0123456789';

describe.skipIf(!REDIS_URL)('Idempotency-Key on the real Redis', () => {
  let testRedis: TestRedis;
  let gateway: Gateway;
  let handler: FetchHandler;
  let provider: ReturnType<typeof createMockImageProvider>;
  let budgets: ReturnType<typeof createMemoryBudgetStore>;
  let failNext = 0;

  beforeEach(() => {
    testRedis = connectTestRedis();
    failNext = 0;
    provider = createMockImageProvider({
      models: [MOCK_MODEL],
      async generate(call) {
        await new Promise((resolve) => setTimeout(resolve, 30)); // long enough for duplicates to overlap
        if (failNext > 0) {
          failNext--;
          throw new BackendError('upstream exploded', { reason: 'upstream_unavailable', retryable: false });
        }
        return {
          images: Array.from({ length: call.n }, () => ({
            bytes: solidPng(256, 256),
            mediaType: 'image/png',
          })),
        };
      },
    });
    budgets = createMemoryBudgetStore();
    gateway = createGateway({
      providers: [provider],
      budgetStore: budgets,
      budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 100 }] },
    });
    const authenticate = createApiKeyAuthenticator({
      keys: [
        { id: 'a', key: KEY_A, tenantId: 'tenant-a' },
        { id: 'b', key: KEY_B, tenantId: 'tenant-b' },
      ],
    });
    const idempotency = createIdempotency({ redis: testRedis.redis, prefix: testRedis.prefix });
    handler = idempotency.wrap(createHttpHandler(gateway, { authenticate }), authenticate);
  });
  afterEach(async () => {
    await gateway.close();
    await testRedis.cleanup();
  });

  const post = (body: unknown, idempotencyKey?: string, key = KEY_A) =>
    handler(
      new Request('http://gateway.test/v1/images/generations', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
      }),
    );
  const spent = (tenantId: string) =>
    budgets.used(budgetBuckets(gateway.config.budgets.rules, { tenantId }, Date.now())[0]!.key);

  it('50 concurrent POSTs with one key make one provider call and one charge, all answered the same', async () => {
    const body = { model: 'mock', prompt: 'a lighthouse', quality: 'high' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(body, 'order-7')));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(provider.calls.length).toBe(1);
    const bodies = new Set(await Promise.all(responses.map((response) => response.text())));
    expect(bodies.size).toBe(1);
    expect(
      responses.filter((response) => response.headers.get('idempotent-replayed') === 'false'),
    ).toHaveLength(1);
    expect(await spent('tenant-a')).toBeCloseTo(0.17, 6);
  });

  it('replays a finished request later, refuses the key with another body (409), and scopes keys per tenant', async () => {
    const first = await post({ model: 'mock', prompt: 'one' }, 'k-1');
    const again = await post({ model: 'mock', prompt: 'one' }, 'k-1');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(await first.text());
    const conflict = await post({ model: 'mock', prompt: 'two' }, 'k-1');
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { param: string } }).error.param).toBe('Idempotency-Key');
    const otherTenant = await post({ model: 'mock', prompt: 'two' }, 'k-1', KEY_B);
    expect(otherTenant.status).toBe(200);
    expect(provider.calls.length).toBe(2);
  });

  it('does not keep a failure that invites a retry: the retry runs again', async () => {
    failNext = 1;
    const failed = await post({ model: 'mock', prompt: 'flaky' }, 'k-retry');
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const retried = await post({ model: 'mock', prompt: 'flaky' }, 'k-retry');
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('false');
  });

  it('refuses a malformed key and leaves requests without a key alone', async () => {
    const bad = await post({ model: 'mock', prompt: 'x' }, 'with space');
    expect(bad.status).toBe(400);
    expect((await post({ model: 'mock', prompt: 'x' })).headers.get('idempotent-replayed')).toBeNull();
  });
});

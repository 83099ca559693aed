import { describeBudgetStoreConformance, describeRateLimitStoreConformance } from '@pixelgate/core/testing';
import { describe } from 'vitest';
import { createRedisBudgetStore, type RedisBudgetStore } from './redis-budget-store.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from './redis-rate-limit-store.ts';
import { deletePrefix, redisTestUrl, testPrefix } from './test-support/redis-test-env.ts';

const url = redisTestUrl ?? '';
// A port nothing listens on: the stores must refuse, not hang or grant.
const DEAD_URL = 'redis://127.0.0.1:1';
const prefixes = new WeakMap<object, string>();

function budgetStore(prefix = testPrefix(), leaseMs = 600_000): RedisBudgetStore {
  const store = createRedisBudgetStore({ url, prefix, leaseMs });
  prefixes.set(store, prefix);
  return store;
}
function rateLimitStore(prefix = testPrefix()): RedisRateLimitStore {
  const store = createRedisRateLimitStore({ url, prefix });
  prefixes.set(store, prefix);
  return store;
}
async function cleanup(stores: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const store of stores) {
    await store.close();
    const prefix = prefixes.get(store);
    if (prefix) await deletePrefix(url, prefix);
  }
}

describe.skipIf(!redisTestUrl)('Redis stores on a real Redis', () => {
  describeBudgetStoreConformance({
    name: 'redis',
    createStore: () => budgetStore(),
    createPeer: (store) => budgetStore(prefixes.get(store)),
    createUnavailableStore: () => createRedisBudgetStore({ url: DEAD_URL, commandTimeoutMs: 500 }),
    leases: { leaseMs: 400, createStore: () => budgetStore(testPrefix(), 400) },
    cleanup: (stores) => cleanup(stores as RedisBudgetStore[]),
  });
  describeRateLimitStoreConformance({
    name: 'redis',
    createStore: () => rateLimitStore(),
    createPeer: (store) => rateLimitStore(prefixes.get(store)),
    unavailable: {
      mode: 'closed',
      createStore: () => createRedisRateLimitStore({ url: DEAD_URL, commandTimeoutMs: 500 }),
    },
    cleanup: (stores) => cleanup(stores as RedisRateLimitStore[]),
  });
  describeRateLimitStoreConformance({
    name: 'redis, fail-open',
    createStore: () => rateLimitStore(),
    unavailable: {
      mode: 'open',
      createStore: () =>
        createRedisRateLimitStore({ url: DEAD_URL, commandTimeoutMs: 500, onUnavailable: 'open' }),
    },
    cleanup: (stores) => cleanup(stores as RedisRateLimitStore[]),
  });
});

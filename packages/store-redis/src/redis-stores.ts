import type { Logger } from '@pixelgate/core/spec';
import { createRedisBudgetStore, type RedisBudgetStore } from './redis-budget-store.ts';
import { openRedis, type RedisConnectionOptions } from './redis-connection.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from './redis-rate-limit-store.ts';

/** Options of {@link createRedisStores}: one connection for both stores. */
export interface RedisStoresOptions extends RedisConnectionOptions {
  /** Key prefix of this deployment (default `pixelgate:`). */
  prefix?: string;
  /** Budget lease (default 10 minutes; keep it above the gateway's `dispatch.timeoutMs`). */
  leaseMs?: number;
  /** Rate limiting while Redis is unreachable: `closed` (default) or `open`. */
  rateLimitOnUnavailable?: 'closed' | 'open';
  /** Where fail-open warnings go. */
  logger?: Logger;
}

/** Both Redis stores, ready for `createGateway({ budgetStore, rateLimitStore })`. */
export interface RedisStores {
  budgetStore: RedisBudgetStore;
  rateLimitStore: RedisRateLimitStore;
  /** Closes the shared connection if it was created from `url`. */
  close(): Promise<void>;
}

/**
 * The budget and rate-limit stores of one deployment on one Redis connection: what every
 * replica behind a load balancer passes to `createGateway`, so limits and budgets hold across
 * all of them.
 */
export function createRedisStores(options: RedisStoresOptions): RedisStores {
  const { client, owned } = openRedis(options);
  const shared = {
    client,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  const budgetStore = createRedisBudgetStore({
    ...shared,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  const rateLimitStore = createRedisRateLimitStore({
    ...shared,
    onUnavailable: options.rateLimitOnUnavailable ?? 'closed',
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    budgetStore,
    rateLimitStore,
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

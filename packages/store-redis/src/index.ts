/**
 * Redis stores for pixelgate: budgets and rate limits that every gateway replica shares, exact
 * across processes, with leases so a crashed replica's holds are given back.
 * @packageDocumentation
 */
export {
  createRedisBudgetStore,
  type RedisBudgetStore,
  type RedisBudgetStoreOptions,
} from './redis-budget-store.ts';
export {
  createRedisClient,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis-connection.ts';
export { checkRedisPrefix, DEFAULT_REDIS_PREFIX, hashTagOf } from './redis-keys.ts';
export {
  createRedisRateLimitStore,
  type RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
} from './redis-rate-limit-store.ts';
export { createRedisStores, type RedisStores, type RedisStoresOptions } from './redis-stores.ts';

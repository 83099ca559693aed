/**
 * Test helpers: a private redis-server to stop and restart in tests of Redis outages, without
 * touching a shared Redis.
 * @packageDocumentation
 */
export { freePort, hasRedisServer, PrivateRedis, type PrivateRedisOptions } from './private-redis.ts';

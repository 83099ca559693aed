import { randomBytes } from 'node:crypto';
import { GatewayError, type Logger, silentLogger } from '@pixelgate/core/provider-utils';
import type { RateLimitDecision, RateLimitEntry, RateLimitStore } from '@pixelgate/core/spec';
import { consumeScript } from './rate-limit-script.ts';
import {
  isRedisDown,
  openRedis,
  pingRedis,
  type RedisClient,
  type RedisConnectionOptions,
  redisUnavailable,
} from './redis-connection.ts';
import { checkRedisPrefix, commonHashTag, DEFAULT_REDIS_PREFIX, redisKey } from './redis-keys.ts';

/** Options of {@link createRedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions extends RedisConnectionOptions {
  /** Key prefix of this deployment (default `pixelgate:`). */
  prefix?: string;
  /**
   * What to do while Redis cannot be reached. `closed` (default): refuse requests with
   * STORAGE_ERROR (503), so no limit is ever exceeded. `open`: let requests through unlimited
   * and log a warning when the outage starts and when it ends, for deployments that prefer
   * availability over exact limits.
   */
  onUnavailable?: 'closed' | 'open';
  /** Where the fail-open warnings go (default: nowhere; pass the gateway's logger). */
  logger?: Logger;
}

/** The Redis rate-limit store with its lifecycle helper. */
export interface RedisRateLimitStore extends RateLimitStore {
  readonly client: RedisClient;
  /** Resolves when Redis answers a PING (readiness probes); never waits longer than the command timeout. */
  check(): Promise<void>;
  /** Closes the client if the store created it. */
  close(): Promise<void>;
}

function checkEntry(entry: RateLimitEntry): void {
  if (!Number.isInteger(entry.limit) || entry.limit < 1)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a positive integer limit.`);
  if (!Number.isInteger(entry.windowMs) || entry.windowMs < 1)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a positive integer window.`);
  if (!Number.isInteger(entry.cost) || entry.cost < 0)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a non-negative integer cost.`);
}

function echo(entry: RateLimitEntry): Pick<RateLimitDecision, 'unit' | 'scope'> {
  return { ...(entry.unit ? { unit: entry.unit } : {}), ...(entry.scope ? { scope: entry.scope } : {}) };
}

/**
 * Rate limits shared by every gateway replica, in Redis, with exactly the memory store's sliding
 * window log: a hit at `t` counts while `now < t + windowMs`, `retryAfterMs` is the time until
 * enough of the oldest hits leave the window, `resetMs` until the window is empty, and a request
 * is counted against all its limits or none. One Lua script decides and commits every entry in
 * one round trip, so the limit is exact across processes. Time is the caller's `now` (the
 * gateway's clock), so replicas need synchronized clocks (NTP), as for any shared window.
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  const prefix = checkRedisPrefix(options.prefix ?? DEFAULT_REDIS_PREFIX);
  const mode = options.onUnavailable ?? 'closed';
  const logger = options.logger ?? silentLogger;
  const { client, owned } = openRedis(options);
  let degraded = false;

  const failOpen = (entries: RateLimitEntry[], error: unknown): RateLimitDecision[] => {
    if (!degraded) {
      degraded = true;
      logger.warn(
        { store: 'redis', error: (error as Error)?.message ?? String(error) },
        'pixelgate: Redis is unreachable; rate limits are NOT enforced until it is back (onUnavailable: open).',
      );
    }
    return entries.map((entry) =>
      entry.cost > entry.limit
        ? { allowed: false, limit: entry.limit, remaining: entry.limit, resetMs: 0, ...echo(entry) }
        : {
            allowed: true,
            limit: entry.limit,
            remaining: entry.limit - entry.cost,
            resetMs: 0,
            ...echo(entry),
          },
    );
  };

  return {
    client,
    async consume(entries, now) {
      entries.forEach(checkEntry);
      if (entries.length === 0) return [];
      const tag = commonHashTag(entries.map((entry) => entry.key));
      const keys = entries.flatMap((entry) => [
        redisKey(prefix, tag, 'rl', entry.key),
        redisKey(prefix, tag, 'rs', entry.key),
      ]);
      const args = [
        Math.floor(now),
        randomBytes(8).toString('hex'),
        entries.length,
        ...entries.flatMap((entry) => [entry.limit, entry.windowMs, entry.cost]),
      ];
      let answer: number[];
      try {
        if (isRedisDown(client)) throw new Error(`Redis connection is ${client.status}`);
        answer = (await consumeScript.run(client, keys, args)) as number[];
      } catch (error) {
        if (mode === 'open') return failOpen(entries, error);
        throw redisUnavailable(
          'rate-limit store',
          'requests are refused until it is back, so no limit is exceeded (onUnavailable: closed).',
          error,
        );
      }
      if (degraded) {
        degraded = false;
        logger.warn({ store: 'redis' }, 'pixelgate: Redis is reachable again; rate limits are enforced.');
      }
      return entries.map((entry, index) => {
        const [allowed, remaining, resetMs, retryAfterMs] = answer.slice(index * 4, index * 4 + 4) as [
          number,
          number,
          number,
          number,
        ];
        return {
          allowed: allowed === 1,
          limit: entry.limit,
          remaining,
          resetMs,
          ...(retryAfterMs >= 0 ? { retryAfterMs } : {}),
          ...echo(entry),
        };
      });
    },
    check: () => pingRedis(client),
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

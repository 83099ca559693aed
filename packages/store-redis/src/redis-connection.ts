import { createHash } from 'node:crypto';
import { GatewayError } from '@pixelgate/core/provider-utils';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';

/** A Redis client the stores accept: a single node or a cluster (ioredis). */
export type RedisClient = Redis | Cluster;

/** How a store reaches Redis: a URL (the store owns the client) or a client of the application's. */
export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port/db` or `rediss://...`; the store creates and closes the client. */
  url?: string;
  /** An ioredis client (or cluster) to use; the application keeps owning and closing it. */
  client?: RedisClient;
  /**
   * Longest wait for one Redis round trip before the operation fails (default 2000 ms), so a
   * hung Redis turns into a clear error instead of a hung request.
   */
  commandTimeoutMs?: number;
}

/**
 * A client created from a URL, tuned to fail fast: one reconnection attempt per command at most
 * (then the command fails instead of waiting in the offline queue), a command timeout, and
 * reconnection in the background so the stores recover by themselves when Redis is back.
 */
export function createRedisClient(url: string, commandTimeoutMs = 2000): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (times) => Math.min(times * 100, 1000),
    enableReadyCheck: true,
  };
  const client = new Redis(url, options);
  // Errors surface through the commands that fail; without a listener ioredis would print them.
  client.on('error', () => {});
  return client;
}

/** The client a store uses and whether the store owns (and must close) it. */
export function openRedis(options: RedisConnectionOptions): { client: RedisClient; owned: boolean } {
  if (options.client) return { client: options.client, owned: false };
  if (!options.url) {
    throw new GatewayError('CONFIGURATION_ERROR', 'A Redis store needs `url` or `client`.', { param: 'url' });
  }
  return { client: createRedisClient(options.url, options.commandTimeoutMs), owned: true };
}

/** True when the client cannot send right now (reconnecting or closed): fail at once instead of queueing. */
export function isRedisDown(client: RedisClient): boolean {
  return client.status === 'reconnecting' || client.status === 'end' || client.status === 'close';
}

/** A Lua script run with EVALSHA, falling back to EVAL once when Redis does not know it yet. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * STORAGE_ERROR (503, retryable) for a Redis that cannot be reached or answered wrongly. The
 * message says what is refused and why, never the URL (it may hold a password) or the raw error.
 */
export function redisUnavailable(what: string, consequence: string, cause: unknown): GatewayError {
  return new GatewayError('STORAGE_ERROR', `The ${what} (Redis) cannot be reached; ${consequence}`, {
    cause,
    retryable: true,
    details: { store: 'redis', reason: 'unavailable' },
  });
}

/**
 * The readiness check of the Redis stores: one PING, bounded by the client's command timeout.
 * Fails at once while the client is reconnecting. The error names the client state or the error
 * code (`ECONNREFUSED`, `WRONGPASS`), never the URL, which may hold a password.
 */
export async function pingRedis(client: RedisClient): Promise<void> {
  if (isRedisDown(client)) throw new Error(`Redis is not connected (${client.status})`);
  try {
    const answer = await client.ping();
    if (answer !== 'PONG') throw new Error('unexpected answer');
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const timedOut = /timed out/i.test(String((error as Error)?.message));
    const reason = typeof code === 'string' ? code : timedOut ? 'timed out' : 'no answer';
    throw new Error(`Redis did not answer PING (${reason})`);
  }
}

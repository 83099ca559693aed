import { GatewayError } from '@pixelgate/core/provider-utils';
import type { BudgetBucket, BudgetRefusal, BudgetReservation, BudgetStore } from '@pixelgate/core/spec';
import { finishScript, reserveScript, usedScript } from './budget-scripts.ts';
import {
  isRedisDown,
  openRedis,
  pingRedis,
  type RedisClient,
  type RedisConnectionOptions,
  redisUnavailable,
} from './redis-connection.ts';
import { checkRedisPrefix, commonHashTag, DEFAULT_REDIS_PREFIX, hashTagOf, redisKey } from './redis-keys.ts';

/** Options of {@link createRedisBudgetStore}. */
export interface RedisBudgetStoreOptions extends RedisConnectionOptions {
  /** Key prefix of this deployment (default `pixelgate:`); two deployments on one Redis use two. */
  prefix?: string;
  /**
   * How long a reservation holds its money without being settled or released (default 10
   * minutes). Longer than any request may run (the gateway's `dispatch.timeoutMs`, default 3
   * minutes): when a process dies mid-request, its holds are given back after this time.
   */
  leaseMs?: number;
  /** How long a day or month bucket is kept after its window ends, for reconciliation (default 35 days). */
  retainMs?: number;
}

/** The Redis budget store with its lifecycle helper. */
export interface RedisBudgetStore extends BudgetStore {
  /** The Redis client in use. */
  readonly client: RedisClient;
  /** Spent and reserved dollars of a bucket (for reconciliation and dashboards). */
  snapshot(bucketKey: string): Promise<{ spentUsd: number; reservedUsd: number }>;
  /** Resolves when Redis answers a PING (readiness probes); never waits longer than the command timeout. */
  check(): Promise<void>;
  /** Closes the client if the store created it. */
  close(): Promise<void>;
}

const MICROS = 1_000_000;
const toMicros = (usd: number): number => Math.round(usd * MICROS);
const toUsd = (micros: number): number => micros / MICROS;

function checkAmount(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new GatewayError('INTERNAL_ERROR', `${name} must be a finite, non-negative number of dollars.`);
  }
}

function checkDuration(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${name} must be a positive whole number of milliseconds.`,
      {
        param: name,
      },
    );
  }
  return value;
}

/**
 * Budgets shared by every gateway replica, in Redis. `reserve` checks and holds the amount in
 * every bucket in one Lua script (one round trip, all or nothing), so concurrent requests on any
 * number of processes never overspend. Each hold is a lease: if the process that made it dies, the
 * hold is given back once `leaseMs` has passed (by the next operation on that bucket, using the
 * Redis server's clock). `settle` replaces the hold with the real cost and `release` gives it
 * back; both are idempotent, and a settle after the lease ended still counts the cost. Amounts
 * are whole micro-dollars, so sums are exact. When Redis cannot be reached, every operation fails
 * closed with STORAGE_ERROR: no request spends money it cannot account for.
 */
export function createRedisBudgetStore(options: RedisBudgetStoreOptions): RedisBudgetStore {
  const prefix = checkRedisPrefix(options.prefix ?? DEFAULT_REDIS_PREFIX);
  const leaseMs = checkDuration(options.leaseMs ?? 600_000, 'leaseMs');
  const retainMs = checkDuration(options.retainMs ?? 35 * 86_400_000, 'retainMs');
  const doneMs = Math.max(2 * leaseMs, 3_600_000);
  const { client, owned } = openRedis(options);

  const keysOf = (buckets: ReadonlyArray<BudgetBucket>, reservationId: string): string[] => {
    const tag = commonHashTag(buckets.map((bucket) => bucket.key));
    return [
      ...buckets.flatMap((bucket) => [
        redisKey(prefix, tag, 'b', bucket.key),
        redisKey(prefix, tag, 'l', bucket.key),
      ]),
      redisKey(prefix, tag, 'd', reservationId),
    ];
  };
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      if (isRedisDown(client)) throw new Error(`Redis connection is ${client.status}`);
      return await operation();
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      throw redisUnavailable(
        'budget store',
        'requests that spend money are refused until it is back (no request is allowed unaccounted).',
        error,
      );
    }
  };
  const finish = async (reservation: BudgetReservation, actualMicros: number): Promise<void> => {
    if (reservation.buckets.length === 0) return;
    await call(() =>
      finishScript.run(client, keysOf(reservation.buckets, reservation.id), [
        reservation.id,
        actualMicros,
        reservation.buckets.length,
        doneMs,
        retainMs,
        ...reservation.buckets.map((bucket) => bucket.expiresAt ?? 0),
      ]),
    );
  };

  return {
    client,
    async reserve(requested, amountUsd, reservationId): Promise<BudgetReservation | BudgetRefusal> {
      checkAmount(amountUsd, 'The amount to reserve');
      const amount = toMicros(amountUsd);
      const buckets = [...new Map(requested.map((bucket) => [bucket.key, bucket])).values()];
      if (buckets.length === 0) return { id: reservationId, amountUsd: toUsd(amount), buckets };
      const answer = (await call(() =>
        reserveScript.run(client, keysOf(buckets, reservationId), [
          reservationId,
          amount,
          leaseMs,
          buckets.length,
          retainMs,
          ...buckets.flatMap((bucket) => [toMicros(bucket.limitUsd), bucket.expiresAt ?? 0]),
        ]),
      )) as number[];
      if (answer[0] === -1) {
        throw new GatewayError('INTERNAL_ERROR', `Reservation id "${reservationId}" is already in use.`);
      }
      if (answer[0] === 0) {
        return {
          bucket: buckets[answer[1]! - 1]!,
          neededUsd: toUsd(amount),
          remainingUsd: toUsd(answer[2]!),
        };
      }
      return { id: reservationId, amountUsd: toUsd(amount), buckets };
    },
    async settle(reservation, actualUsd) {
      checkAmount(actualUsd, 'The settled cost');
      await finish(reservation, toMicros(actualUsd));
    },
    async release(reservation) {
      await finish(reservation, 0);
    },
    async used(bucketKey) {
      const tag = hashTagOf(bucketKey);
      const micros = await call(() =>
        usedScript.run(
          client,
          [redisKey(prefix, tag, 'b', bucketKey), redisKey(prefix, tag, 'l', bucketKey)],
          [],
        ),
      );
      return toUsd(Number(micros));
    },
    async snapshot(bucketKey) {
      const tag = hashTagOf(bucketKey);
      await this.used(bucketKey); // gives back ended leases first
      const [spent, reserved] = await call(() =>
        client.hmget(redisKey(prefix, tag, 'b', bucketKey), 'spent', 'reserved'),
      );
      return { spentUsd: toUsd(Number(spent ?? 0)), reservedUsd: toUsd(Number(reserved ?? 0)) };
    },
    check: () => pingRedis(client),
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

import type { Clock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { BudgetBucket, BudgetRefusal, BudgetReservation, BudgetStore } from './budget-store.ts';

/** Amounts are kept in integer micro-dollars so that many small sums compare exactly. */
const MICROS = 1_000_000;
const toMicros = (usd: number): number => Math.round(usd * MICROS);
const toUsd = (micros: number): number => micros / MICROS;

interface BucketState {
  spent: number;
  reserved: number;
  expiresAt?: number;
}

/** Options of {@link createMemoryBudgetStore}. */
export interface MemoryBudgetStoreOptions {
  /** Time source used to forget buckets whose window has ended (default the system clock). */
  clock?: Clock;
}

/** The in-memory budget store with its inspection helpers. */
export interface MemoryBudgetStore extends BudgetStore {
  /** Spent and reserved dollars per bucket key, for tests and dashboards. */
  snapshot(): Record<string, { spentUsd: number; reservedUsd: number }>;
}

/** Narrows a reserve answer to a refusal. */
export function isBudgetRefusal(value: BudgetReservation | BudgetRefusal): value is BudgetRefusal {
  return !('id' in value);
}

function checkAmount(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new GatewayError('INTERNAL_ERROR', `${name} must be a finite, non-negative number of dollars.`);
  }
}

/**
 * The default budget store, for one process. `reserve` checks every bucket and commits to all of
 * them in one synchronous step (no await between check and write), so concurrent requests can
 * never overspend: the sum granted never exceeds any limit. Settling replaces a reservation with
 * the real cost, which may exceed the reservation (the overspend is recorded, and later requests
 * are refused); releasing returns it. Settle and release are idempotent per reservation. Buckets
 * are forgotten once their window has ended and nothing is reserved in them. Several gateway
 * instances need a shared store (Redis) with the same all-or-nothing semantics.
 */
export function createMemoryBudgetStore(options: MemoryBudgetStoreOptions = {}): MemoryBudgetStore {
  const clock = options.clock ?? { now: () => Date.now() };
  const buckets = new Map<string, BucketState>();
  const reservations = new Map<string, { amount: number; keys: string[] }>();
  let lastSweep = 0;

  const sweep = (now: number) => {
    if (now - lastSweep < 60_000) return;
    lastSweep = now;
    for (const [key, state] of buckets) {
      if (state.expiresAt !== undefined && state.expiresAt <= now && state.reserved === 0)
        buckets.delete(key);
    }
  };
  const stateOf = (bucket: BudgetBucket): BucketState => {
    let state = buckets.get(bucket.key);
    if (!state) {
      state = {
        spent: 0,
        reserved: 0,
        ...(bucket.expiresAt === undefined ? {} : { expiresAt: bucket.expiresAt }),
      };
      buckets.set(bucket.key, state);
    }
    return state;
  };
  const finish = (reservation: BudgetReservation, actualMicros: number) => {
    const held = reservations.get(reservation.id);
    if (!held) return;
    reservations.delete(reservation.id);
    for (const key of held.keys) {
      const state = buckets.get(key);
      if (!state) continue;
      state.reserved -= held.amount;
      state.spent += actualMicros;
    }
  };

  return {
    async reserve(requested, amountUsd, reservationId) {
      checkAmount(amountUsd, 'The amount to reserve');
      if (reservations.has(reservationId)) {
        throw new GatewayError('INTERNAL_ERROR', `Reservation id "${reservationId}" is already in use.`);
      }
      sweep(clock.now());
      const amount = toMicros(amountUsd);
      const unique = [...new Map(requested.map((bucket) => [bucket.key, bucket])).values()];
      for (const bucket of unique) {
        const state = buckets.get(bucket.key);
        const used = state ? state.spent + state.reserved : 0;
        const limit = toMicros(bucket.limitUsd);
        if (used + amount > limit) {
          return { bucket, neededUsd: toUsd(amount), remainingUsd: toUsd(Math.max(0, limit - used)) };
        }
      }
      for (const bucket of unique) stateOf(bucket).reserved += amount;
      reservations.set(reservationId, { amount, keys: unique.map((bucket) => bucket.key) });
      return { id: reservationId, amountUsd: toUsd(amount), buckets: unique };
    },
    async settle(reservation, actualUsd) {
      checkAmount(actualUsd, 'The settled cost');
      finish(reservation, toMicros(actualUsd));
    },
    async release(reservation) {
      finish(reservation, 0);
    },
    async used(bucketKey) {
      const state = buckets.get(bucketKey);
      return state ? toUsd(state.spent + state.reserved) : 0;
    },
    snapshot() {
      const result: Record<string, { spentUsd: number; reservedUsd: number }> = {};
      for (const [key, state] of buckets)
        result[key] = { spentUsd: toUsd(state.spent), reservedUsd: toUsd(state.reserved) };
      return result;
    },
  };
}

import { expect } from 'vitest';
import type { BudgetRefusal, BudgetReservation } from '../../budget/budget-store.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { expectGatewayError, isRefusal } from './budget-check-helpers.ts';
import type { BudgetFixture } from './budget-fixture.ts';

// Budget checks: settling and releasing holds, and the inputs a store refuses.

async function settlesToTheRealCost({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  const lower = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
  await store.settle(lower, 0.1);
  expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
  const higher = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
  await store.settle(higher, 0.95);
  expect(await store.used(month.key)).toBeCloseTo(1.05, 9);
  const refused = await store.reserve([month], 0.01, rid());
  expect(isRefusal(refused)).toBe(true);
  expect((refused as BudgetRefusal).remainingUsd).toBe(0);
}

async function releasesAHoldInFull({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  const user = bucket('user:ann', 1);
  const held = (await store.reserve([month, user], 0.6, rid())) as BudgetReservation;
  await store.release(held);
  expect(await store.used(month.key)).toBe(0);
  expect(await store.used(user.key)).toBe(0);
  expect(isRefusal(await store.reserve([month, user], 1, rid()))).toBe(false);
}

async function settlesAndReleasesIdempotently({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 5);
  const settled = (await store.reserve([month], 1, rid())) as BudgetReservation;
  await store.settle(settled, 0.5);
  await store.settle(settled, 0.5);
  await store.release(settled);
  expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
  const released = (await store.reserve([month], 1, rid())) as BudgetReservation;
  await store.release(released);
  await store.release(released);
  await store.settle(released, 2);
  expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
}

async function settlesAndReleasesConcurrentlyOnce({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 5);
  const held = (await store.reserve([month], 1, rid())) as BudgetReservation;
  await Promise.all([
    store.settle(held, 0.3),
    store.settle(held, 0.3),
    store.release(held),
    store.settle(held, 0.3),
  ]);
  const used = await store.used(month.key);
  expect([0, 0.3].some((value) => Math.abs(used - value) < 1e-9)).toBe(true);
}

async function refusesAReservationIdStillHeld({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 5);
  const id = rid();
  await store.reserve([month], 0.1, id);
  await expectGatewayError(store.reserve([month], 0.1, id));
  expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
}

async function rejectsAmountsThatAreNotDollars({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 5);
  for (const amount of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
    await expectGatewayError(store.reserve([month], amount, rid()));
  }
  const held = (await store.reserve([month], 0.1, rid())) as BudgetReservation;
  await expectGatewayError(store.settle(held, -1));
  expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
}

async function keepsBucketsWithAWindowEnd({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const day = bucket('tenant', 1, 60_000);
  const held = (await store.reserve([day], 0.2, rid())) as BudgetReservation;
  await store.settle(held, 0.2);
  expect(await store.used(day.key)).toBeCloseTo(0.2, 9);
}

/** Settle, release, their idempotence, and refused inputs, in the kit's order. */
export function budgetSettlementChecks(): ConformanceCheck<BudgetFixture>[] {
  return [
    {
      title: 'settles to the real cost, lower or higher than the hold',
      run: settlesToTheRealCost,
    },
    {
      title: 'releases a hold in full',
      run: releasesAHoldInFull,
    },
    {
      title: 'settles and releases idempotently, and never both',
      run: settlesAndReleasesIdempotently,
    },
    {
      title: 'settles and releases concurrently exactly once',
      run: settlesAndReleasesConcurrentlyOnce,
    },
    {
      title: 'refuses a reservation id that is still held',
      run: refusesAReservationIdStillHeld,
    },
    {
      title: 'rejects amounts that are not finite, non-negative dollars',
      run: rejectsAmountsThatAreNotDollars,
    },
    {
      title: 'keeps buckets with a window end and forgets nothing still in use',
      run: keepsBucketsWithAWindowEnd,
    },
  ];
}

import { expect } from 'vitest';
import type { BudgetRefusal, BudgetReservation } from '../../budget/budget-store.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { isRefusal } from './budget-check-helpers.ts';
import type { BudgetFixture } from './budget-fixture.ts';

// Budget checks: what a reservation grants, refuses and counts.

async function grantsWithinTheLimit({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  const granted = await store.reserve([month], 0.25, rid());
  expect(isRefusal(granted)).toBe(false);
  expect(granted).toMatchObject({ amountUsd: 0.25 });
  expect((granted as BudgetReservation).buckets.map((b) => b.key)).toEqual([month.key]);
  expect(await store.used(month.key)).toBeCloseTo(0.25, 9);
  expect(await store.used(`${month.key}:other`)).toBe(0);
}

async function refusesPastTheLimitNamingTheBucket({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  await store.reserve([month], 0.7, rid());
  const refused = await store.reserve([month], 0.4, rid());
  expect(isRefusal(refused)).toBe(true);
  expect(refused).toMatchObject({ bucket: { key: month.key, limitUsd: 1 }, neededUsd: 0.4 });
  expect((refused as BudgetRefusal).remainingUsd).toBeCloseTo(0.3, 9);
  expect(await store.used(month.key)).toBeCloseTo(0.7, 9);
}

async function addsDollarsExactly({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  for (let index = 0; index < 10; index++) {
    expect(isRefusal(await store.reserve([month], 0.1, rid()))).toBe(false);
  }
  const refused = await store.reserve([month], 0.1, rid());
  expect(isRefusal(refused)).toBe(true);
  expect((refused as BudgetRefusal).remainingUsd).toBe(0);
  expect(await store.used(month.key)).toBe(1);
}

async function isAllOrNothingAcrossBuckets({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 10);
  const user = bucket('user:bob', 0.5);
  const refused = await store.reserve([month, user], 0.6, rid());
  expect(isRefusal(refused)).toBe(true);
  expect((refused as BudgetRefusal).bucket.key).toBe(user.key);
  expect(await store.used(month.key)).toBe(0);
  expect(await store.used(user.key)).toBe(0);
  const granted = await store.reserve([month, user], 0.5, rid());
  expect(isRefusal(granted)).toBe(false);
  expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
  expect(await store.used(user.key)).toBeCloseTo(0.5, 9);
}

async function countsABucketNamedTwiceOnce({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  const granted = await store.reserve([month, { ...month }], 0.4, rid());
  expect(isRefusal(granted)).toBe(false);
  expect(await store.used(month.key)).toBeCloseTo(0.4, 9);
}

async function handlesZeroDollarReservations({ store, bucket, rid }: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 0);
  const free = await store.reserve([month], 0, rid());
  expect(isRefusal(free)).toBe(false);
  expect(isRefusal(await store.reserve([month], 0.000001, rid()))).toBe(true);
  await store.settle(free as BudgetReservation, 0);
  const another = (await store.reserve([month], 0, rid())) as BudgetReservation;
  await store.release(another);
  expect(await store.used(month.key)).toBe(0);
}

/** Grants, refusals, exact sums and all-or-nothing reservations, in the kit's order. */
export function budgetReservationChecks(): ConformanceCheck<BudgetFixture>[] {
  return [
    {
      title: 'grants within the limit and counts the hold in `used`',
      run: grantsWithinTheLimit,
    },
    {
      title: 'refuses past the limit, naming the bucket, what was needed and what remains',
      run: refusesPastTheLimitNamingTheBucket,
    },
    {
      title: 'adds dollars exactly: ten reservations of $0.10 fill a $1.00 limit, the eleventh is refused',
      run: addsDollarsExactly,
    },
    {
      title: 'is all or nothing across buckets: a refusal by one bucket holds nothing in the others',
      run: isAllOrNothingAcrossBuckets,
    },
    {
      title: 'counts a bucket named twice in one reservation once',
      run: countsABucketNamedTwiceOnce,
    },
    {
      title: 'grants, settles and releases zero-dollar reservations, even on a full budget',
      run: handlesZeroDollarReservations,
    },
  ];
}

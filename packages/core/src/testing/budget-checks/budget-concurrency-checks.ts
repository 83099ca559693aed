import { expect } from 'vitest';
import type { BudgetReservation } from '../../budget/budget-store.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { isRefusal } from './budget-check-helpers.ts';
import type { BudgetFixture, BudgetStoreConformanceOptions } from './budget-fixture.ts';

// Budget checks: no overspending under concurrency, within one instance and across two.

async function neverOverspendsUnderConcurrentReservations({
  store,
  bucket,
  rid,
}: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 1);
  const users = ['a', 'b', 'c', 'd'].map((name) => bucket(`user:${name}`, 0.2));
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, index) =>
      store.reserve([month, users[index % users.length]!], 0.01, rid()),
    ),
  );
  const granted = results.filter((result) => !isRefusal(result)) as BudgetReservation[];
  expect(granted).toHaveLength(80); // four users of $0.20 each, under the $1 tenant limit
  for (const user of users) expect(await store.used(user.key)).toBeCloseTo(0.2, 9);
  expect(await store.used(month.key)).toBeCloseTo(0.8, 9);
  await Promise.all(granted.map((reservation) => store.settle(reservation, 0.01)));
  expect(await store.used(month.key)).toBeCloseTo(0.8, 9);
}

async function neverOverspendsWhenHoldsSettlesAndReleasesRace({
  store,
  bucket,
  rid,
}: BudgetFixture): Promise<void> {
  const month = bucket('tenant', 2);
  let spent = 0;
  await Promise.all(
    Array.from({ length: 60 }, async (_, index) => {
      const outcome = await store.reserve([month], 0.1, rid());
      if (isRefusal(outcome)) return;
      if (index % 3 === 0) await store.release(outcome);
      else {
        await store.settle(outcome, 0.05);
        spent += 0.05;
      }
    }),
  );
  const used = await store.used(month.key);
  expect(used).toBeCloseTo(spent, 9);
  expect(used).toBeLessThanOrEqual(2);
}

async function holdsTheLimitAcrossTwoInstances({
  store,
  stores,
  bucket,
  rid,
  options,
}: BudgetFixture): Promise<void> {
  const peer = await options.createPeer!(store);
  stores.push(peer);
  const month = bucket('tenant', 0.5);
  const results = await Promise.all(
    Array.from({ length: 120 }, (_, index) => (index % 2 === 0 ? store : peer).reserve([month], 0.01, rid())),
  );
  expect(results.filter((result) => !isRefusal(result))).toHaveLength(50);
  expect(await peer.used(month.key)).toBeCloseTo(0.5, 9);
  // A reservation made by one instance is settled by the other (the state is shared).
  const granted = results.find((result) => !isRefusal(result)) as BudgetReservation;
  await peer.release(granted);
  expect(await store.used(month.key)).toBeCloseTo(0.49, 9);
}

/** Concurrent reservations, racing settles and releases, and a peer instance when given. */
export function budgetConcurrencyChecks(
  options: BudgetStoreConformanceOptions,
): ConformanceCheck<BudgetFixture>[] {
  return [
    {
      title: 'never overspends under 200 concurrent reservations across overlapping buckets',
      run: neverOverspendsUnderConcurrentReservations,
    },
    {
      title: 'never overspends when holds, settles and releases race',
      run: neverOverspendsWhenHoldsSettlesAndReleasesRace,
    },
    {
      title: 'holds the limit exactly across two instances on one backend',
      runIf: options.createPeer !== undefined,
      run: holdsTheLimitAcrossTwoInstances,
    },
  ];
}

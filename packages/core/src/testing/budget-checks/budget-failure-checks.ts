import { expect } from 'vitest';
import type { BudgetReservation, BudgetStore } from '../../budget/budget-store.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { eventually, expectGatewayError, isRefusal } from './budget-check-helpers.ts';
import type { BudgetFixture, BudgetStoreConformanceOptions } from './budget-fixture.ts';

// Budget checks for failures: holds of a crashed process, and a backend that is gone.

/** A store with the short lease of `options.leases`, cleaned up with the test's other stores. */
async function leasedStore({ options, stores }: BudgetFixture): Promise<BudgetStore> {
  const short = await options.leases!.createStore();
  stores.push(short);
  return short;
}

async function givesBackAnUnsettledHoldAfterItsLease(fixture: BudgetFixture): Promise<void> {
  const { bucket, rid, options } = fixture;
  const leaseMs = options.leases!.leaseMs;
  const store = await leasedStore(fixture);
  const month = bucket('tenant', 1);
  await store.reserve([month], 0.9, rid());
  expect(isRefusal(await store.reserve([month], 0.2, rid()))).toBe(true);
  await eventually(async () => (await store.used(month.key)) === 0, leaseMs * 20 + 2000);
  expect(isRefusal(await store.reserve([month], 0.2, rid()))).toBe(false);
}

async function countsASettleAfterTheLeaseEnded(fixture: BudgetFixture): Promise<void> {
  const { bucket, rid, options } = fixture;
  const leaseMs = options.leases!.leaseMs;
  const store = await leasedStore(fixture);
  const month = bucket('tenant', 1);
  const held = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
  await eventually(async () => (await store.used(month.key)) === 0, leaseMs * 20 + 2000);
  await store.settle(held, 0.3);
  await store.settle(held, 0.3);
  expect(await store.used(month.key)).toBeCloseTo(0.3, 9);
}

async function failsClosedWhenTheBackendIsUnreachable({
  stores,
  bucket,
  rid,
  options,
}: BudgetFixture): Promise<void> {
  const down = await options.createUnavailableStore!();
  stores.push(down);
  const month = bucket('tenant', 100);
  const error = await expectGatewayError(down.reserve([month], 0.01, rid()));
  expect(error.message.length).toBeGreaterThan(10);
  const reservation: BudgetReservation = { id: rid(), amountUsd: 0.01, buckets: [month] };
  await expectGatewayError(down.settle(reservation, 0.01));
  await expectGatewayError(down.release(reservation));
  await expectGatewayError(down.used(month.key));
}

/** Leases (when the store declares them) and fail-closed behaviour (when a down store is given). */
export function budgetFailureChecks(
  options: BudgetStoreConformanceOptions,
): ConformanceCheck<BudgetFixture>[] {
  return [
    {
      title: 'gives back a hold nobody settles once its lease ends (a crashed process)',
      runIf: options.leases !== undefined,
      run: givesBackAnUnsettledHoldAfterItsLease,
    },
    {
      title: 'still counts the real cost when a request settles after its lease ended',
      runIf: options.leases !== undefined,
      run: countsASettleAfterTheLeaseEnded,
    },
    {
      title: 'fails closed with a GatewayError when the backend is unreachable',
      runIf: options.createUnavailableStore !== undefined,
      run: failsClosedWhenTheBackendIsUnreachable,
    },
  ];
}

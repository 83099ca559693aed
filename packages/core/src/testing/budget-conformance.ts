import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe } from 'vitest';
import type { BudgetBucket, BudgetStore } from '../budget/budget-store.ts';
import { budgetConcurrencyChecks } from './budget-checks/budget-concurrency-checks.ts';
import { budgetFailureChecks } from './budget-checks/budget-failure-checks.ts';
import type { BudgetFixture, BudgetStoreConformanceOptions } from './budget-checks/budget-fixture.ts';
import { budgetReservationChecks } from './budget-checks/budget-reservation-checks.ts';
import { budgetSettlementChecks } from './budget-checks/budget-settlement-checks.ts';
import { registerChecks } from './conformance-checks.ts';

export type {
  BudgetStoreConformanceOptions,
  BudgetStoreLeaseOptions,
} from './budget-checks/budget-fixture.ts';

/**
 * The budget store conformance kit: one suite every {@link BudgetStore} must pass, so the memory
 * store and shared ones (Redis, or a user's own) are interchangeable behind the gateway. It checks
 * all-or-nothing reservations across buckets, exact micro-dollar sums, settle and release (and
 * their idempotence), refusals that name the bucket, that concurrent reservations never
 * overspend (within one instance and, with `createPeer`, across instances), leases when declared,
 * and fail-closed behaviour when the backend is gone. Each test uses random bucket keys shaped like
 * the gateway's own (`budget:tenant:<id>:...`), so a shared backend is safe.
 */
export function describeBudgetStoreConformance(options: BudgetStoreConformanceOptions): void {
  describe(`budget store conformance: ${options.name}`, () => {
    let store: BudgetStore;
    let stores: BudgetStore[];
    let tenant: string;
    const bucket = (name: string, limitUsd: number, expiresInMs?: number): BudgetBucket => ({
      key: `budget:tenant:${tenant}${name === 'tenant' ? '' : `:${name}`}:month:2026-12`,
      limitUsd,
      label: `${name} of tenant ${tenant}, month 2026-12`,
      ...(expiresInMs === undefined ? {} : { expiresAt: Date.now() + expiresInMs }),
    });
    const rid = () => `rsv_${randomUUID()}`;

    beforeEach(async () => {
      store = await options.createStore();
      stores = [store];
      tenant = `kit-${randomUUID().slice(0, 8)}`;
    });

    afterEach(async () => {
      await options.cleanup?.(stores);
    });

    const fixture = (): BudgetFixture => ({ store, stores, bucket, rid, options });
    registerChecks(
      [
        ...budgetReservationChecks(),
        ...budgetSettlementChecks(),
        ...budgetConcurrencyChecks(options),
        ...budgetFailureChecks(options),
      ],
      fixture,
    );
  });
}

import { type Gateway, type TenantContext, TOKENS } from '@pixelgate/core';
import { estimateImagePrice } from '@pixelgate/core/provider-utils';
import type { BudgetReservation, BudgetStore } from '@pixelgate/core/spec';
import { budgetBuckets, budgetExceededError, isBudgetRefusal } from '@pixelgate/core/store-utils';
import type { PrecheckPassed } from './job-precheck.ts';

/**
 * Reserves a job's estimated price in every budget bucket of its tenant before the job is
 * accepted, so a job the budget cannot pay for is refused with the 202 never sent, and a queued
 * job holds its money while it waits. Answers undefined when no budget applies or the price is
 * unknown (the gateway's run then applies `budgets.unknownPrice`, as for a synchronous request).
 *
 * @throws GatewayError BUDGET_EXCEEDED when a bucket cannot take the amount.
 */
export async function reserveJobBudget(
  gateway: Gateway,
  tenant: TenantContext,
  passed: PrecheckPassed,
  reservationId: string,
): Promise<BudgetReservation | undefined> {
  const buckets = budgetBuckets(gateway.config.budgets.rules, tenant, gateway.clock.now());
  if (buckets.length === 0) return undefined;
  const estimate = estimateImagePrice(passed.model, {
    n: passed.call.n,
    size: passed.call.size,
    quality: passed.call.quality,
    operation: passed.operation,
  });
  if (estimate.usd === undefined) return undefined;
  const outcome = await budgetStoreOf(gateway).reserve(buckets, estimate.usd, reservationId);
  if (isBudgetRefusal(outcome)) throw budgetExceededError(outcome);
  return outcome;
}

/**
 * Gives a job's hold back. A worker does this right before it runs the job through the gateway,
 * whose budget stage reserves the same amount again and settles it once with the real cost; so
 * a job is billed once, and a job that never runs (cancelled while queued) costs nothing. A hold
 * left by a dead process expires with the budget store's lease.
 */
export async function releaseJobBudget(
  gateway: Gateway,
  reservation: BudgetReservation | undefined,
): Promise<void> {
  if (!reservation) return;
  await budgetStoreOf(gateway)
    .release(reservation)
    .catch(() => {});
}

function budgetStoreOf(gateway: Gateway): BudgetStore {
  return gateway.container.resolve<BudgetStore>(TOKENS.BudgetStore);
}

import type { BudgetReservation } from '../../budget/budget-store.ts';
import { budgetBuckets, budgetExceededError } from '../../budget/index.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { qualifiedModelId } from '../../models/model-descriptor.ts';
import { estimateImagePrice } from '../../models/pricing.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import { eventBase, need, type PreparedModel, type RequestContext } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/**
 * Prices the request for one model and reserves that amount in every matching budget bucket at
 * once. An unknown price is never counted as zero: `budgets.unknownPrice` refuses it, or allows it
 * with a label and a warning. Used for the primary model and again for each fallback model.
 */
export async function reserveFor(
  ctx: RequestContext,
  deps: PipelineDeps,
  prepared: PreparedModel,
): Promise<BudgetReservation | undefined> {
  const { model } = prepared.resolved;
  const estimate = estimateImagePrice(model, {
    n: prepared.call.n,
    size: prepared.call.size,
    quality: prepared.call.quality,
    operation: prepared.call.operation,
  });
  ctx.facts.cost = {
    ...(estimate.usd === undefined ? {} : { estimatedUsd: estimate.usd }),
    basis: estimate.basis,
  };
  const buckets = budgetBuckets(deps.config.budgets.rules, ctx.tenant, deps.clock.now());
  if (buckets.length === 0) return undefined;
  let amount = estimate.usd;
  if (amount === undefined) {
    if (deps.config.budgets.unknownPrice === 'refuse') {
      deps.events.emit('budget-reserve', { ...eventBase(ctx), amountUsd: undefined, granted: false });
      throw new GatewayError(
        'BUDGET_EXCEEDED',
        `The price of '${qualifiedModelId(model)}' at this size and quality is unknown, and this gateway refuses unpriced requests while budgets apply.`,
        { param: 'model', details: { reason: 'unknown_price' } },
      );
    }
    ctx.facts.labels.add('budget:unknown_price');
    ctx.facts.warnings.push({
      type: 'other',
      param: 'model',
      message: `The price of '${qualifiedModelId(model)}' is unknown; the request is allowed but not counted against budgets.`,
    });
    amount = 0;
  }
  const outcome = await deps.budgetStore.reserve(buckets, amount, deps.ids.next('rsv'));
  const granted = 'id' in outcome;
  deps.events.emit('budget-reserve', { ...eventBase(ctx), amountUsd: amount, granted });
  if (!granted) throw budgetExceededError(outcome);
  return outcome;
}

/** Gives back the reservation held, if any (after a failure, or before a fallback reserves anew). */
export async function releaseReservation(ctx: RequestContext, deps: PipelineDeps): Promise<void> {
  const reservation = ctx.reservation;
  if (!reservation) return;
  ctx.reservation = undefined;
  await deps.budgetStore.release(reservation).catch(() => {});
  deps.events.emit('budget-settle', {
    ...eventBase(ctx),
    reservedUsd: reservation.amountUsd,
    actualUsd: undefined,
    released: true,
  });
}

/** budget reserve for the primary model; the reservation is released if anything later fails. */
export const budgetReserveStage: Stage = {
  name: 'budget-reserve',
  timing: 'budget',
  async run(ctx, deps) {
    ctx.reservation = await reserveFor(ctx, deps, need(ctx.primary, 'primary'));
  },
  onFailure: (ctx, deps) => releaseReservation(ctx, deps),
};

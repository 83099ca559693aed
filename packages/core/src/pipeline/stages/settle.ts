import { estimateImagePrice, priceFromUsage, roundUsd } from '../../models/pricing.ts';
import type { RequestContext } from '../request-context.ts';
import { eventBase, need } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/**
 * The real cost of what was delivered: the provider's own figure, else token usage times token
 * prices, else the per-image price of the images delivered; unknown otherwise (never zero).
 */
export function actualCost(ctx: RequestContext): void {
  const { result, used } = need(ctx.dispatched, 'dispatched');
  const model = used.resolved.model;
  const cost = ctx.facts.cost;
  const fromUsage = result.usage ? priceFromUsage(model, result.usage) : undefined;
  const perImage = estimateImagePrice(model, {
    n: ctx.facts.images.length,
    size: used.call.size,
    quality: used.call.quality,
    operation: used.call.operation,
  });
  if (result.costUsd !== undefined) {
    cost.actualUsd = roundUsd(result.costUsd);
    cost.basis = 'provider_reported';
  } else if (fromUsage !== undefined) {
    cost.actualUsd = fromUsage;
    cost.basis = 'tokens';
  } else if (perImage.usd !== undefined) {
    cost.actualUsd = perImage.usd;
    cost.basis = 'per_image';
  } else cost.basis = 'unknown';
}

/**
 * budget settle: the cost is computed, and the reservation (if budgets apply) becomes that cost.
 * On a failure the budget-reserve stage releases the reservation instead.
 */
export const settleStage: Stage = {
  name: 'settle',
  async run(ctx, deps) {
    actualCost(ctx);
    const reservation = ctx.reservation;
    if (!reservation) return;
    const actualUsd = ctx.facts.cost.actualUsd;
    await deps.budgetStore.settle(reservation, actualUsd ?? reservation.amountUsd);
    ctx.reservation = undefined;
    deps.events.emit('budget-settle', {
      ...eventBase(ctx),
      reservedUsd: reservation.amountUsd,
      actualUsd,
      released: false,
    });
  },
};

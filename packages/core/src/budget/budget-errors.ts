import { GatewayError } from '../errors/gateway-error.ts';
import type { BudgetRefusal } from './budget-store.ts';

/** Dollars with as many decimals as the amount needs (at least 2, at most 6): $0.065, not $0.07. */
function usd(value: number): string {
  const exact = value.toFixed(6).replace(/0+$/, '');
  const decimals = Math.max(2, exact.length - exact.indexOf('.') - 1);
  return `$${value.toFixed(decimals)}`;
}

/**
 * BUDGET_EXCEEDED for a refused reservation: says which budget (the caller's own tenant, user or
 * key, and window), what the request needed and what remains, so the caller can ask for fewer or
 * cheaper images or wait for the next window.
 */
export function budgetExceededError(refusal: BudgetRefusal): GatewayError {
  return new GatewayError(
    'BUDGET_EXCEEDED',
    `Budget exceeded for ${refusal.bucket.label}: this request needs ${usd(refusal.neededUsd)} but ${usd(refusal.remainingUsd)} of the ${usd(refusal.bucket.limitUsd)} limit remains.`,
    {
      details: {
        budget: refusal.bucket.label,
        needed_usd: refusal.neededUsd,
        remaining_usd: refusal.remainingUsd,
        limit_usd: refusal.bucket.limitUsd,
      },
    },
  );
}

/** What to do with a request whose price is unknown (never counted as free). */
export type UnknownPricePolicy = 'refuse' | 'allow_and_flag';

/**
 * Applies the unknown-price policy: `refuse` gives a BUDGET_EXCEEDED error explaining that the
 * price is unknown; `allow_and_flag` lets the request through with the `budget:unknown_price`
 * label, so the audit log shows every request that was not counted.
 */
export function unknownPriceDecision(
  policy: UnknownPricePolicy,
  model: string,
): { allow: true; label: 'budget:unknown_price' } | { allow: false; error: GatewayError } {
  if (policy === 'allow_and_flag') return { allow: true, label: 'budget:unknown_price' };
  return {
    allow: false,
    error: new GatewayError(
      'BUDGET_EXCEEDED',
      `The price of '${model}' at this size and quality is unknown, and this gateway refuses requests it cannot price while budgets apply.`,
      { param: 'model', details: { reason: 'unknown_price' } },
    ),
  };
}

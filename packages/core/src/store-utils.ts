/**
 * `@pixelgate/core/store-utils`: what authors of budget and rate-limit stores (Redis, SQL, …) use
 * so that every store draws on the same buckets and refuses with the same errors and headers.
 * @packageDocumentation
 */
export { budgetBuckets, budgetWindow } from './budget/budget-buckets.ts';
export { budgetExceededError } from './budget/budget-errors.ts';
export { isBudgetRefusal } from './budget/memory-budget-store.ts';
export { rateLimitEntries, rateLimitedError, rateLimitHeaders } from './rate-limit/rate-limit-helpers.ts';

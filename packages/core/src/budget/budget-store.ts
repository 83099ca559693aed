import { z } from 'zod';

/** A budget: a spending limit for one scope over one period. */
export const budgetRuleSchema = z.strictObject({
  /** What is limited: a tenant, a user within a tenant, or an API key. */
  scope: z.enum(['tenant', 'user', 'key']),
  /** The id in that scope; `*` applies the limit to each id separately. */
  id: z.string().min(1).default('*'),
  period: z.enum(['day', 'month', 'total']),
  /** Limit in US dollars. */
  limitUsd: z.number().nonnegative(),
});
/** A parsed budget rule. */
export type BudgetRule = z.infer<typeof budgetRuleSchema>;
/** A budget rule as configured. */
export type BudgetRuleInput = z.input<typeof budgetRuleSchema>;

/** One bucket a reservation draws on: a scope id and period window (`tenant:acme:month:2026-11`). */
export interface BudgetBucket {
  key: string;
  limitUsd: number;
  /** Human-readable description for errors (`tenant acme, month 2026-11`). */
  label: string;
  /** When the bucket's window ends (ms since epoch); stores may forget the bucket after it. */
  expiresAt?: number;
}

/** A granted reservation. */
export interface BudgetReservation {
  id: string;
  amountUsd: number;
  buckets: BudgetBucket[];
}

/** Why a reservation was refused. */
export interface BudgetRefusal {
  bucket: BudgetBucket;
  neededUsd: number;
  remainingUsd: number;
}

/**
 * Spend accounting. `reserve` must be atomic across all buckets (all or none), so concurrent
 * requests never overspend; a Redis implementation does the same with one script.
 */
export interface BudgetStore {
  reserve(
    buckets: BudgetBucket[],
    amountUsd: number,
    reservationId: string,
  ): Promise<BudgetReservation | BudgetRefusal>;
  /** Replaces the reservation with the real cost (which may be higher or lower). */
  settle(reservation: BudgetReservation, actualUsd: number): Promise<void>;
  /** Returns the reserved amount (the request failed). */
  release(reservation: BudgetReservation): Promise<void>;
  /** Spent plus reserved in a bucket. */
  used(bucketKey: string): Promise<number>;
  /**
   * Resolves once the backing service answered a trivial request; rejects when it cannot be
   * reached (readiness probes call it with a time limit). Optional: in-process stores have nothing
   * to check. The rejection's message must not carry a secret (no URL with a password).
   */
  check?(): Promise<void>;
}

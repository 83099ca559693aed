import { z } from 'zod';
import type { RateLimitDecision } from '../errors/rate-limit-decision.ts';

/** A rate limit: at most `limit` units per window for each id in a scope. */
export const rateLimitRuleSchema = z.strictObject({
  scope: z.enum(['tenant', 'key', 'user']),
  /** `requests` counts requests, `images` counts images asked for. */
  unit: z.enum(['requests', 'images']),
  limit: z.number().int().positive(),
  windowMs: z.number().int().positive().default(60_000),
});
/** A parsed rate-limit rule. */
export type RateLimitRule = z.infer<typeof rateLimitRuleSchema>;
/** A rate-limit rule as configured. */
export type RateLimitRuleInput = z.input<typeof rateLimitRuleSchema>;

export type { RateLimitDecision } from '../errors/rate-limit-decision.ts';

/** One limit to count a request against. `unit` and `scope` are echoed back in the decision. */
export interface RateLimitEntry {
  key: string;
  limit: number;
  windowMs: number;
  cost: number;
  unit?: 'requests' | 'images';
  scope?: 'tenant' | 'key' | 'user';
}

/**
 * Counts usage in windows. `consume` is atomic: it either takes `cost` units from every key or
 * none, and answers with the state of the tightest one.
 */
export interface RateLimitStore {
  consume(entries: RateLimitEntry[], now: number): Promise<RateLimitDecision[]>;
  /**
   * Resolves once the backing service answered a trivial request; rejects when it cannot be
   * reached (readiness probes call it with a time limit). Optional: in-process stores have nothing
   * to check. The rejection's message must not carry a secret (no URL with a password).
   */
  check?(): Promise<void>;
}

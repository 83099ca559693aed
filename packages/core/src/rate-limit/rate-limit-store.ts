import { z } from 'zod';

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

/** The outcome of counting one request against one limit. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window frees enough room. */
  resetMs: number;
  /** Set when refused. */
  retryAfterMs?: number;
  /** What the limit counts, echoed from the entry (for `x-ratelimit-*-<unit>` headers). */
  unit?: 'requests' | 'images';
  /** Whose limit it is, echoed from the entry (for error messages). */
  scope?: 'tenant' | 'key' | 'user';
}

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
}

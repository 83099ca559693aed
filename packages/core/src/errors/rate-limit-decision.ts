/**
 * The outcome of counting one request against one limit. It lives with the errors because they carry
 * it (a RATE_LIMITED error, and any failure after the rate-limit stage, keeps the figures for the
 * x-ratelimit-* headers) and errors must not depend on the rate-limit stores.
 */
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

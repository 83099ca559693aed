/** Limits of {@link SlidingWindowLimiter}. */
export interface SlidingWindowLimit {
  /** Requests allowed within one window (Stability: 150). */
  limit: number;
  /** Window length in milliseconds (Stability: 10 000). */
  windowMs: number;
  /** How long a caller that went over is refused, in milliseconds (Stability: 60 000). */
  lockoutMs: number;
}

/** Stability's documented limit: 150 requests per 10 seconds, then a 60-second lockout. */
export const STABILITY_RATE_LIMIT: Readonly<SlidingWindowLimit> = Object.freeze({
  limit: 150,
  windowMs: 10_000,
  lockoutMs: 60_000,
});

/**
 * A real sliding-window limiter with a lockout, as Stability describes its own: more than `limit`
 * requests within any `windowMs` locks the caller out for `lockoutMs`, during which every request
 * is refused. The clock is injectable so tests can move time without waiting.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(
    private readonly options: SlidingWindowLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(options.limit >= 1 && options.windowMs > 0 && options.lockoutMs >= 0)) {
      throw new RangeError('rate limit needs limit >= 1, windowMs > 0 and lockoutMs >= 0');
    }
  }

  /**
   * Records one request of `caller`. Returns undefined when allowed, or the milliseconds until the
   * lockout ends when refused.
   */
  take(caller: string): number | undefined {
    const now = this.now();
    const locked = this.lockedUntil.get(caller);
    if (locked !== undefined) {
      if (now < locked) return locked - now;
      this.lockedUntil.delete(caller);
      this.hits.delete(caller);
    }
    const recent = (this.hits.get(caller) ?? []).filter((time) => time > now - this.options.windowMs);
    if (recent.length >= this.options.limit) {
      this.hits.set(caller, recent);
      this.lockedUntil.set(caller, now + this.options.lockoutMs);
      return this.options.lockoutMs;
    }
    recent.push(now);
    this.hits.set(caller, recent);
    return undefined;
  }

  /** Forgets every caller. */
  reset(): void {
    this.hits.clear();
    this.lockedUntil.clear();
  }
}

import { GatewayError } from '../errors/gateway-error.ts';
import type { RateLimitDecision, RateLimitEntry, RateLimitStore } from './rate-limit-store.ts';

/**
 * The hits of one key still inside its window, oldest first, as a queue with a running total: a
 * request adds one hit (or adds to the last one, at the same millisecond) and expired hits leave
 * from the front, so a decision costs O(1) amortized however busy the key is, and stays exact.
 */
class HitLog {
  readonly at: number[] = [];
  readonly cost: number[] = [];
  /** Index of the oldest live hit (the front of the queue). */
  head = 0;
  /** Sum of the live hits' costs. */
  used = 0;

  constructor(readonly windowMs: number) {}

  get size(): number {
    return this.at.length - this.head;
  }

  /** Drops the hits that left the window (a hit at `t` counts while `now < t + windowMs`). */
  prune(windowMs: number, now: number): void {
    while (this.head < this.at.length && this.at[this.head]! + windowMs <= now) {
      this.used -= this.cost[this.head]!;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.at.length) {
      this.at.splice(0, this.head);
      this.cost.splice(0, this.head);
      this.head = 0;
    }
  }

  add(now: number, cost: number): void {
    const last = this.at.length - 1;
    if (this.size > 0 && this.at[last] === now) this.cost[last]! += cost;
    else {
      this.at.push(now);
      this.cost.push(cost);
    }
    this.used += cost;
  }

  /** Time until enough of the oldest hits leave for `cost` more to fit under `limit`. */
  retryAfter(windowMs: number, now: number, cost: number, limit: number): number {
    let freed = 0;
    let wait = 0;
    for (let index = this.head; index < this.at.length; index++) {
      freed += this.cost[index]!;
      wait = this.at[index]! + windowMs - now;
      if (this.used - freed + cost <= limit) break;
    }
    return wait;
  }
}

/** The in-memory rate-limit store with its inspection helper. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Number of keys currently tracked (keys with no live hits are forgotten). */
  size(): number;
}

function checkEntry(entry: RateLimitEntry): void {
  if (!Number.isInteger(entry.limit) || entry.limit < 1)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a positive integer limit.`);
  if (!Number.isInteger(entry.windowMs) || entry.windowMs < 1)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a positive integer window.`);
  if (!Number.isInteger(entry.cost) || entry.cost < 0)
    throw new GatewayError('INTERNAL_ERROR', `Rate limit "${entry.key}" needs a non-negative integer cost.`);
}

/**
 * The default rate-limit store, for one process: an exact sliding window log. Each key keeps the
 * time and size of every hit still inside its window (a queue with a running total: O(1) amortized
 * per request); a request is allowed when the hits of the
 * last `windowMs` (a hit at `t` counts while `now < t + windowMs`) plus its cost fit the limit.
 * Unlike fixed windows, there is no burst of twice the limit at a window edge, and `retryAfterMs`
 * is exact: the time until enough of the oldest hits leave the window. `resetMs` is the time
 * until the window is empty again (what OpenAI's `x-ratelimit-reset-*` headers mean). A log holds
 * at most `limit` hits per key. `consume` decides for every entry before committing any, in one
 * synchronous step, so a refused request takes nothing from any limit. A request that costs more
 * than the limit can never pass: it is refused without `retryAfterMs`.
 */
export function createMemoryRateLimitStore(): MemoryRateLimitStore {
  const logs = new Map<string, HitLog>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  // Forget keys nobody has used for a whole window, so many one-off tenants cannot grow memory.
  const sweep = (now: number): void => {
    if (now - lastSweep < 60_000) return;
    lastSweep = now;
    for (const [key, log] of logs) {
      const last = log.at[log.at.length - 1];
      if (log.size === 0 || last === undefined || last + log.windowMs <= now) logs.delete(key);
    }
  };

  const live = (entry: RateLimitEntry, now: number): HitLog | undefined => {
    const log = logs.get(entry.key);
    if (!log) return undefined;
    log.prune(entry.windowMs, now);
    if (log.size > 0) return log;
    logs.delete(entry.key);
    return undefined;
  };

  const decide = (entry: RateLimitEntry, now: number): RateLimitDecision => {
    const log = live(entry, now);
    const used = log?.used ?? 0;
    const echo = {
      ...(entry.unit ? { unit: entry.unit } : {}),
      ...(entry.scope ? { scope: entry.scope } : {}),
    };
    const resetMs = log ? log.at[log.at.length - 1]! + entry.windowMs - now : 0;
    const base = { limit: entry.limit, resetMs };
    if (used + entry.cost <= entry.limit)
      return { allowed: true, ...base, remaining: entry.limit - used - entry.cost, ...echo };
    const remaining = Math.max(0, entry.limit - used);
    // A request that costs more than the limit can never pass: no retryAfterMs.
    if (entry.cost > entry.limit || !log) return { allowed: false, ...base, remaining, ...echo };
    const retryAfterMs = log.retryAfter(entry.windowMs, now, entry.cost, entry.limit);
    return { allowed: false, ...base, remaining, retryAfterMs, ...echo };
  };

  return {
    async consume(entries, now) {
      entries.forEach(checkEntry);
      sweep(now);
      const decisions = entries.map((entry) => decide(entry, now));
      if (decisions.every((decision) => decision.allowed)) {
        entries.forEach((entry, index) => {
          if (entry.cost === 0) return;
          let log = logs.get(entry.key);
          if (!log) {
            log = new HitLog(entry.windowMs);
            logs.set(entry.key, log);
          }
          log.add(now, entry.cost);
          decisions[index]!.resetMs = entry.windowMs;
        });
      } else {
        // Nothing was taken: report the remaining room as it really is.
        entries.forEach((entry, index) => {
          const decision = decisions[index]!;
          if (decision.allowed) decision.remaining += entry.cost;
        });
      }
      return decisions;
    },
    size() {
      return logs.size;
    },
  };
}

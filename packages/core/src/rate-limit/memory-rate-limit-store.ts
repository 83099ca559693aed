import { GatewayError } from '../errors/gateway-error.ts';
import type { RateLimitDecision, RateLimitEntry, RateLimitStore } from './rate-limit-store.ts';

interface Hit {
  at: number;
  cost: number;
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
 * time and size of every hit still inside its window; a request is allowed when the hits of the
 * last `windowMs` (a hit at `t` counts while `now < t + windowMs`) plus its cost fit the limit.
 * Unlike fixed windows, there is no burst of twice the limit at a window edge, and `retryAfterMs`
 * is exact: the time until enough of the oldest hits leave the window. `resetMs` is the time
 * until the window is empty again (what OpenAI's `x-ratelimit-reset-*` headers mean). A log holds
 * at most `limit` hits per key. `consume` decides for every entry before committing any, in one
 * synchronous step, so a refused request takes nothing from any limit. A request that costs more
 * than the limit can never pass: it is refused without `retryAfterMs`.
 */
export function createMemoryRateLimitStore(): MemoryRateLimitStore {
  const logs = new Map<string, Hit[]>();
  const windows = new Map<string, number>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  // Forget keys nobody has used for a whole window, so many one-off tenants cannot grow memory.
  const sweep = (now: number): void => {
    if (now - lastSweep < 60_000) return;
    lastSweep = now;
    for (const [key, hits] of logs) {
      const last = hits[hits.length - 1];
      if (!last || last.at + (windows.get(key) ?? 0) <= now) {
        logs.delete(key);
        windows.delete(key);
      }
    }
  };

  const live = (key: string, windowMs: number, now: number): Hit[] => {
    const hits = logs.get(key);
    if (!hits) return [];
    let drop = 0;
    while (drop < hits.length && hits[drop]!.at + windowMs <= now) drop++;
    if (drop > 0) hits.splice(0, drop);
    if (hits.length === 0) {
      logs.delete(key);
      windows.delete(key);
    }
    return hits;
  };

  return {
    async consume(entries, now) {
      entries.forEach(checkEntry);
      sweep(now);
      const decisions: RateLimitDecision[] = entries.map((entry) => {
        const hits = live(entry.key, entry.windowMs, now);
        const used = hits.reduce((sum, hit) => sum + hit.cost, 0);
        const echo = {
          ...(entry.unit ? { unit: entry.unit } : {}),
          ...(entry.scope ? { scope: entry.scope } : {}),
        };
        const resetMs = hits.length === 0 ? 0 : hits[hits.length - 1]!.at + entry.windowMs - now;
        if (used + entry.cost <= entry.limit) {
          return {
            allowed: true,
            limit: entry.limit,
            remaining: entry.limit - used - entry.cost,
            resetMs,
            ...echo,
          };
        }
        if (entry.cost > entry.limit) {
          return {
            allowed: false,
            limit: entry.limit,
            remaining: Math.max(0, entry.limit - used),
            resetMs,
            ...echo,
          };
        }
        // Free the oldest hits until the request fits: it may retry when the last of them expires.
        let freed = 0;
        let retryAfterMs = 0;
        for (const hit of hits) {
          freed += hit.cost;
          retryAfterMs = hit.at + entry.windowMs - now;
          if (used - freed + entry.cost <= entry.limit) break;
        }
        return {
          allowed: false,
          limit: entry.limit,
          remaining: Math.max(0, entry.limit - used),
          resetMs,
          retryAfterMs,
          ...echo,
        };
      });
      if (decisions.every((decision) => decision.allowed)) {
        entries.forEach((entry, index) => {
          if (entry.cost === 0) return;
          let hits = logs.get(entry.key);
          if (!hits) {
            hits = [];
            logs.set(entry.key, hits);
            windows.set(entry.key, entry.windowMs);
          }
          const last = hits[hits.length - 1];
          if (last && last.at === now) last.cost += entry.cost;
          else hits.push({ at: now, cost: entry.cost });
          const decision = decisions[index]!;
          decision.resetMs = entry.windowMs;
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

import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.ts';
import type { RateLimitDecision, RateLimitEntry } from './rate-limit-store.ts';

/** The straightforward sliding-window log the store must agree with, decision for decision. */
function referenceStore() {
  const hits = new Map<string, Array<{ at: number; cost: number }>>();
  return (entries: RateLimitEntry[], now: number): RateLimitDecision[] => {
    const decisions = entries.map((entry) => {
      const live = (hits.get(entry.key) ?? []).filter((hit) => hit.at + entry.windowMs > now);
      hits.set(entry.key, live);
      const used = live.reduce((sum, hit) => sum + hit.cost, 0);
      const resetMs = live.length ? live[live.length - 1]!.at + entry.windowMs - now : 0;
      if (used + entry.cost <= entry.limit)
        return { allowed: true, limit: entry.limit, remaining: entry.limit - used - entry.cost, resetMs };
      const remaining = Math.max(0, entry.limit - used);
      if (entry.cost > entry.limit) return { allowed: false, limit: entry.limit, remaining, resetMs };
      let freed = 0;
      let retryAfterMs = 0;
      for (const hit of live) {
        freed += hit.cost;
        retryAfterMs = hit.at + entry.windowMs - now;
        if (used - freed + entry.cost <= entry.limit) break;
      }
      return { allowed: false, limit: entry.limit, remaining, resetMs, retryAfterMs };
    }) as RateLimitDecision[];
    if (decisions.every((d) => d.allowed)) {
      entries.forEach((entry, index) => {
        if (entry.cost === 0) return;
        const live = hits.get(entry.key)!;
        const last = live[live.length - 1];
        if (last && last.at === now) last.cost += entry.cost;
        else live.push({ at: now, cost: entry.cost });
        decisions[index]!.resetMs = entry.windowMs;
      });
    } else {
      entries.forEach((entry, index) => {
        if (decisions[index]!.allowed) decisions[index]!.remaining += entry.cost;
      });
    }
    return decisions;
  };
}

describe('memory rate-limit store (queue with a running total)', () => {
  it('decides exactly as a full sliding-window log over a long random run', async () => {
    const store = createMemoryRateLimitStore();
    const reference = referenceStore();
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let now = 1_000_000;
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(random() * 40);
      const entries: RateLimitEntry[] = [
        { key: 'requests', limit: 50, windowMs: 1000, cost: 1 },
        { key: 'images', limit: 120, windowMs: 2500, cost: 1 + Math.floor(random() * 4) },
      ];
      expect(await store.consume(entries, now)).toEqual(reference(entries, now));
    }
  });

  it('forgets idle keys', async () => {
    const store = createMemoryRateLimitStore();
    await store.consume([{ key: 'a', limit: 1, windowMs: 10, cost: 1 }], 0);
    expect(store.size()).toBe(1);
    await store.consume([{ key: 'b', limit: 1, windowMs: 10, cost: 1 }], 120_000);
    expect(store.size()).toBe(1);
  });
});

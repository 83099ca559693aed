import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../access/tenant.ts';
import { budgetBuckets, budgetWindow } from './budget-buckets.ts';
import { budgetExceededError, unknownPriceDecision } from './budget-errors.ts';
import { type BudgetReservation, type BudgetRule, budgetRuleSchema } from './budget-store.ts';
import { createMemoryBudgetStore, isBudgetRefusal } from './memory-budget-store.ts';

const rules = (...input: Array<Partial<BudgetRule> & Pick<BudgetRule, 'scope' | 'period' | 'limitUsd'>>) =>
  input.map((rule) => budgetRuleSchema.parse(rule));
const acme: TenantContext = { tenantId: 'acme', userId: 'bob', keyId: 'key_1' };
const NOW = Date.UTC(2026, 10, 21, 23, 59, 59, 999);

describe('budgetBuckets', () => {
  it('builds UTC day and month windows and a total bucket', () => {
    const buckets = budgetBuckets(
      rules(
        { scope: 'tenant', period: 'day', limitUsd: 5 },
        { scope: 'tenant', period: 'month', limitUsd: 50 },
        { scope: 'key', period: 'total', limitUsd: 500 },
      ),
      acme,
      NOW,
    );
    expect(buckets).toEqual([
      {
        key: 'budget:tenant:acme:day:2026-11-21',
        limitUsd: 5,
        label: 'tenant acme, day 2026-11-21',
        expiresAt: Date.UTC(2026, 10, 22),
      },
      {
        key: 'budget:tenant:acme:key:key_1:total:total',
        limitUsd: 500,
        label: 'key key_1 of tenant acme, all time',
      },
      {
        key: 'budget:tenant:acme:month:2026-11',
        limitUsd: 50,
        label: 'tenant acme, month 2026-11',
        expiresAt: Date.UTC(2026, 11, 1),
      },
    ]);
    expect(budgetWindow('day', NOW + 1).name).toBe('2026-11-22');
    expect(budgetWindow('month', Date.UTC(2026, 11, 31, 23, 59, 59, 999) + 1)).toEqual({
      name: '2027-01',
      endsAt: Date.UTC(2027, 1, 1),
    });
  });

  it('lets a rule for a named id replace the * rule, and keeps the tightest of equals', () => {
    const set = rules(
      { scope: 'tenant', id: '*', period: 'day', limitUsd: 5 },
      { scope: 'tenant', id: 'acme', period: 'day', limitUsd: 100 },
      { scope: 'user', id: '*', period: 'day', limitUsd: 3 },
      { scope: 'user', id: '*', period: 'day', limitUsd: 2 },
    );
    expect(budgetBuckets(set, acme, NOW).map((b) => [b.key, b.limitUsd])).toEqual([
      ['budget:tenant:acme:day:2026-11-21', 100],
      ['budget:tenant:acme:user:bob:day:2026-11-21', 2],
    ]);
    expect(budgetBuckets(set, { tenantId: 'other' }, NOW).map((b) => [b.key, b.limitUsd])).toEqual([
      ['budget:tenant:other:day:2026-11-21', 5],
    ]);
  });

  it('keeps users of different tenants apart and escapes ids', () => {
    const set = rules({ scope: 'user', period: 'month', limitUsd: 1 });
    const a = budgetBuckets(set, { tenantId: 'a', userId: 'same' }, NOW)[0]!.key;
    const b = budgetBuckets(set, { tenantId: 'b', userId: 'same' }, NOW)[0]!.key;
    expect(a).not.toBe(b);
    expect(budgetBuckets(set, { tenantId: 'x:y', userId: 'u:v' }, NOW)[0]!.key).toBe(
      'budget:tenant:x%3Ay:user:u%3Av:month:2026-11',
    );
  });
});

describe('createMemoryBudgetStore', () => {
  const bucket = { key: 'b', limitUsd: 1, label: 'tenant t, day d' };

  it('never overspends under 200 concurrent reservations', async () => {
    const store = createMemoryBudgetStore();
    const limit = { key: 'tenant', limitUsd: 10, label: 'tenant acme' };
    const month = { key: 'month', limitUsd: 7.77, label: 'tenant acme, month' };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        store.reserve([limit, month], 0.04 + (index % 3) * 0.01, `r${index}`),
      ),
    );
    const granted = results.filter((result): result is BudgetReservation => !isBudgetRefusal(result));
    const sumMicros = granted.reduce((sum, r) => sum + Math.round(r.amountUsd * 1e6), 0);
    expect(sumMicros).toBeLessThanOrEqual(7_770_000);
    expect(granted.length).toBeGreaterThan(100);
    expect(granted.length).toBeLessThan(200);
    expect(await store.used('month')).toBe(sumMicros / 1e6);
    expect(await store.used('tenant')).toBe(sumMicros / 1e6);
    // Refused reservations took nothing from either bucket (all or nothing).
    const refusal = results.find(isBudgetRefusal)!;
    expect(refusal.bucket.key).toBe('month');
    expect(refusal.remainingUsd).toBeLessThan(refusal.neededUsd);
  });

  it('fills a budget exactly to its limit', async () => {
    const store = createMemoryBudgetStore();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.reserve([bucket], 0.01, `r${i}`)),
    );
    expect(results.filter((r) => !isBudgetRefusal(r))).toHaveLength(100);
    expect(await store.used('b')).toBe(1);
  });

  it('settles to the real cost, which may exceed the reservation, and releases', async () => {
    const store = createMemoryBudgetStore();
    const first = (await store.reserve([bucket], 0.4, 'a')) as BudgetReservation;
    const second = (await store.reserve([bucket], 0.4, 'b')) as BudgetReservation;
    expect(isBudgetRefusal(await store.reserve([bucket], 0.3, 'c'))).toBe(true);
    await store.settle(first, 0.1);
    expect(await store.used('b')).toBe(0.5);
    await store.settle(first, 0.1); // idempotent
    expect(await store.used('b')).toBe(0.5);
    await store.release(second);
    await store.release(second);
    expect(await store.used('b')).toBe(0.1);
    const third = (await store.reserve([bucket], 0.5, 'd')) as BudgetReservation;
    await store.settle(third, 1.2);
    expect(await store.used('b')).toBe(1.3);
    const refusal = await store.reserve([bucket], 0.01, 'e');
    expect(refusal).toEqual({ bucket, neededUsd: 0.01, remainingUsd: 0 });
    expect(store.snapshot()).toEqual({ b: { spentUsd: 1.3, reservedUsd: 0 } });
  });

  it('rolls over to a new period with an injected clock', async () => {
    let now = NOW;
    const store = createMemoryBudgetStore({ clock: { now: () => now } });
    const set = rules({ scope: 'tenant', period: 'day', limitUsd: 1 });
    const reserve = (id: string) => store.reserve(budgetBuckets(set, acme, now), 0.6, id);
    const first = await reserve('1');
    expect(isBudgetRefusal(first)).toBe(false);
    expect(isBudgetRefusal(await reserve('2'))).toBe(true);
    now += 1; // midnight UTC
    const third = await reserve('3');
    expect(isBudgetRefusal(third)).toBe(false);
    await store.settle(third as BudgetReservation, 0.6);
    now += 2 * 86_400_000; // ended windows are forgotten once nothing is reserved in them
    await reserve('4');
    expect(Object.keys(store.snapshot()).sort()).toEqual([
      'budget:tenant:acme:day:2026-11-21',
      'budget:tenant:acme:day:2026-11-24',
    ]);
    await store.release(first as BudgetReservation);
    now += 86_400_000;
    await reserve('5');
    expect(Object.keys(store.snapshot()).sort()).toEqual([
      'budget:tenant:acme:day:2026-11-24',
      'budget:tenant:acme:day:2026-11-25',
    ]);
  });

  it('rejects bad amounts and reused ids', async () => {
    const store = createMemoryBudgetStore();
    await expect(store.reserve([bucket], Number.NaN, 'x')).rejects.toThrow(/finite, non-negative/);
    await expect(store.reserve([bucket], -1, 'x')).rejects.toThrow(/finite, non-negative/);
    await store.reserve([bucket], 0.1, 'x');
    await expect(store.reserve([bucket], 0.1, 'x')).rejects.toThrow(/already in use/);
  });
});

describe('budget errors', () => {
  it('says what was needed and what remains', () => {
    const error = budgetExceededError({
      bucket: { key: 'k', limitUsd: 5, label: 'tenant acme, day 2026-11-21' },
      neededUsd: 0.08,
      remainingUsd: 0.02,
    });
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.status).toBe(402);
    expect(error.message).toBe(
      'Budget exceeded for tenant acme, day 2026-11-21: this request needs $0.08 but $0.02 of the $5.00 limit remains.',
    );
    expect(error.details).toEqual({
      budget: 'tenant acme, day 2026-11-21',
      needed_usd: 0.08,
      remaining_usd: 0.02,
      limit_usd: 5,
    });
  });

  it('applies the unknown-price policy', () => {
    expect(unknownPriceDecision('allow_and_flag', 'x/y')).toEqual({
      allow: true,
      label: 'budget:unknown_price',
    });
    const refused = unknownPriceDecision('refuse', 'x/y');
    expect(refused.allow).toBe(false);
    if (!refused.allow)
      expect(refused.error).toMatchObject({
        code: 'BUDGET_EXCEEDED',
        param: 'model',
        details: { reason: 'unknown_price' },
      });
  });
});

import type { Meter, ObservableCallback } from '@opentelemetry/api';
import { budgetBuckets } from '../budget/budget-buckets.ts';
import type { BudgetRule, BudgetStore } from '../budget/budget-store.ts';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import { ATTR } from './attributes.ts';
import { subscribe } from './subscribe.ts';

/** What the budget gauge reads: the configured rules and the store that counts spend. */
export interface BudgetSource {
  rules: ReadonlyArray<BudgetRule>;
  store: BudgetStore;
}

/**
 * Most tenants a `*` tenant rule reports: the first ones to make a request after the process
 * started. A metric reader keeps every series it has seen, so a bound on the tenants ever
 * reported (not on those reported at once) is what keeps the series bounded however many tenants
 * a deployment has. Name a tenant in a rule of its own to always report it.
 */
export const BUDGET_GAUGE_TENANTS = 50;

/** One series of the gauge: a tenant's bucket of one rule. */
interface Series {
  rule: BudgetRule;
  tenantId: string;
}

/** The series to report now: every tenant rule naming an id, and each `*` tenant rule for the tenants seen. */
function seriesOf(rules: ReadonlyArray<BudgetRule>, tenants: Iterable<string>): Series[] {
  const series: Series[] = [];
  const recent = [...tenants];
  for (const rule of rules) {
    if (rule.scope !== 'tenant') continue;
    if (rule.id !== '*') series.push({ rule, tenantId: rule.id });
    else for (const tenantId of recent) series.push({ rule, tenantId });
  }
  return series;
}

/**
 * `pixelgate.budget.remaining`: dollars left in the current window of each tenant budget, read
 * from the budget store when the metrics are collected (a scrape, an export interval), not per
 * request. Reported: tenant rules naming an id, and `*` tenant rules for the first
 * {@link BUDGET_GAUGE_TENANTS} tenants to make a request (labels `pixelgate.budget.scope`, `.id`,
 * `.period`: bounded by the configuration). User and key budgets are not reported: their ids are
 * per request and unbounded. A store that does not answer is skipped in that collection instead
 * of failing it (the reader keeps the last value). Returns the unsubscribe function.
 */
export function observeBudgets(events: GatewayEventEmitter, meter: Meter, source: BudgetSource): () => void {
  const seen = new Set<string>();
  const unsubscribe = subscribe(events, {
    'request-end': ({ tenantId }) => {
      if (seen.size < BUDGET_GAUGE_TENANTS) seen.add(tenantId);
    },
  });
  const gauge = meter.createObservableGauge('pixelgate.budget.remaining', {
    description: 'Dollars left in the current window of a tenant budget.',
    unit: 'USD',
  });
  const callback: ObservableCallback = async (result) => {
    const now = Date.now();
    await Promise.all(
      seriesOf(source.rules, seen).map(async ({ rule, tenantId }) => {
        const [bucket] = budgetBuckets([rule], { tenantId }, now);
        if (!bucket) return;
        const used = await source.store.used(bucket.key).catch(() => undefined);
        if (used === undefined) return;
        result.observe(Math.max(0, bucket.limitUsd - used), {
          [ATTR.budgetScope]: rule.scope,
          [ATTR.budgetId]: tenantId,
          [ATTR.budgetPeriod]: rule.period,
        });
      }),
    );
  };
  gauge.addCallback(callback);
  return () => {
    unsubscribe();
    gauge.removeCallback(callback);
  };
}

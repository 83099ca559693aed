import type { TenantContext } from '../access/tenant.ts';
import type { BudgetBucket, BudgetRule } from './budget-store.ts';

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** The UTC window a period falls in at `now`: its name and when it ends. */
export function budgetWindow(period: BudgetRule['period'], now: number): { name: string; endsAt?: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    return {
      name: `${year}-${pad(month + 1)}-${pad(date.getUTCDate())}`,
      endsAt: Date.UTC(year, month, date.getUTCDate() + 1),
    };
  }
  if (period === 'month') return { name: `${year}-${pad(month + 1)}`, endsAt: Date.UTC(year, month + 1, 1) };
  return { name: 'total' };
}

function scopeId(rule: BudgetRule, tenant: TenantContext): string | undefined {
  if (rule.scope === 'tenant') return tenant.tenantId;
  if (rule.scope === 'user') return tenant.userId;
  return tenant.keyId;
}

/**
 * The buckets a request of this tenant draws on at `now`: one per applicable rule and current
 * window (days and months in UTC). A rule applies when its id equals the caller's tenant, user or
 * key id, or is `*` (each id separately). For one scope and period, a rule naming the caller's id
 * replaces the `*` rule, so a default limit can be raised or lowered per customer; several rules
 * naming the same id keep the tightest. User and key buckets are kept per tenant, so two tenants'
 * users with the same id never share a budget. Rules whose scope the caller lacks (a user rule
 * for a request without a user id) do not apply.
 */
export function budgetBuckets(
  rules: ReadonlyArray<BudgetRule>,
  tenant: TenantContext,
  now: number,
): BudgetBucket[] {
  const chosen = new Map<string, { rule: BudgetRule; exact: boolean }>();
  for (const rule of rules) {
    const id = scopeId(rule, tenant);
    if (id === undefined) continue;
    const exact = rule.id === id;
    if (!exact && rule.id !== '*') continue;
    const slot = `${rule.scope}|${rule.period}`;
    const current = chosen.get(slot);
    if (
      !current ||
      (exact && !current.exact) ||
      (exact === current.exact && rule.limitUsd < current.rule.limitUsd)
    ) {
      chosen.set(slot, { rule, exact });
    }
  }
  const buckets: BudgetBucket[] = [];
  for (const { rule } of chosen.values()) {
    const id = scopeId(rule, tenant)!;
    const window = budgetWindow(rule.period, now);
    const tenantPart = `tenant:${encodeURIComponent(tenant.tenantId)}`;
    const owner =
      rule.scope === 'tenant' ? tenantPart : `${tenantPart}:${rule.scope}:${encodeURIComponent(id)}`;
    const who =
      rule.scope === 'tenant'
        ? `tenant ${tenant.tenantId}`
        : `${rule.scope} ${id} of tenant ${tenant.tenantId}`;
    const when = rule.period === 'total' ? 'all time' : `${rule.period} ${window.name}`;
    buckets.push({
      key: `budget:${owner}:${rule.period}:${window.name}`,
      limitUsd: rule.limitUsd,
      label: `${who}, ${when}`,
      ...(window.endsAt === undefined ? {} : { expiresAt: window.endsAt }),
    });
  }
  return buckets.sort((a, b) => a.key.localeCompare(b.key));
}

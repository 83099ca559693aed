import type { TenantContext } from '../access/tenant.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { RateLimitDecision, RateLimitEntry, RateLimitRule } from './rate-limit-store.ts';

/**
 * The entries a request of this tenant is counted against: one per rule whose scope the caller
 * has (a key rule needs a key id, a user rule a user id), costing 1 for `requests` and `n` for
 * `images`. Key and user limits are kept per tenant so equal ids of two tenants never share one.
 */
export function rateLimitEntries(
  rules: ReadonlyArray<RateLimitRule>,
  tenant: TenantContext,
  n: number,
): RateLimitEntry[] {
  const entries: RateLimitEntry[] = [];
  for (const rule of rules) {
    const id =
      rule.scope === 'tenant' ? tenant.tenantId : rule.scope === 'key' ? tenant.keyId : tenant.userId;
    if (id === undefined) continue;
    const owner =
      rule.scope === 'tenant'
        ? `tenant:${encodeURIComponent(tenant.tenantId)}`
        : `tenant:${encodeURIComponent(tenant.tenantId)}:${rule.scope}:${encodeURIComponent(id)}`;
    entries.push({
      key: `rl:${owner}:${rule.unit}:${rule.windowMs}`,
      limit: rule.limit,
      windowMs: rule.windowMs,
      cost: rule.unit === 'requests' ? 1 : n,
      unit: rule.unit,
      scope: rule.scope,
    });
  }
  return entries;
}

/** Formats milliseconds the way OpenAI's rate-limit headers do (`250ms`, `1.5s`, `6m0s`, `1h2m3s`). */
export function formatRateLimitDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

/** The tightest decision per unit: least remaining, then the longest wait. */
function tightestByUnit(
  decisions: ReadonlyArray<RateLimitDecision>,
): Map<'requests' | 'images', RateLimitDecision> {
  const result = new Map<'requests' | 'images', RateLimitDecision>();
  for (const decision of decisions) {
    const unit = decision.unit ?? 'requests';
    const current = result.get(unit);
    if (
      !current ||
      (!decision.allowed && current.allowed) ||
      (decision.allowed === current.allowed &&
        (decision.remaining < current.remaining ||
          (decision.remaining === current.remaining && decision.resetMs > current.resetMs)))
    ) {
      result.set(unit, decision);
    }
  }
  return result;
}

/**
 * The `x-ratelimit-*` headers for a response, OpenAI style: limit, remaining and reset for
 * requests, and the same with `-images` for image limits, each from the tightest limit of that
 * unit. Empty when no limit applied.
 */
export function rateLimitHeaders(decisions: ReadonlyArray<RateLimitDecision>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [unit, decision] of tightestByUnit(decisions)) {
    headers[`x-ratelimit-limit-${unit}`] = String(decision.limit);
    headers[`x-ratelimit-remaining-${unit}`] = String(decision.remaining);
    headers[`x-ratelimit-reset-${unit}`] = formatRateLimitDuration(decision.resetMs);
  }
  return headers;
}

/**
 * RATE_LIMITED for a refused request: which limit (unit, scope, size, window), and how long to
 * wait (`retryAfterMs`, the longest wait among refused limits, so one retry after it passes them
 * all). A request asking for more images than a limit allows at all cannot succeed by waiting:
 * it is not retryable and `param` points at `n`.
 */
export function rateLimitedError(decisions: ReadonlyArray<RateLimitDecision>): GatewayError {
  const refused = decisions.filter((decision) => !decision.allowed);
  const never = refused.find((decision) => decision.retryAfterMs === undefined);
  if (never) {
    return new GatewayError(
      'RATE_LIMITED',
      `This request asks for more ${never.unit ?? 'requests'} than the ${never.scope ?? 'tenant'} limit of ${never.limit} allows in one window; ask for at most ${never.limit}.`,
      {
        ...(never.unit === 'images' ? { param: 'n' } : {}),
        retryable: false,
        details: {
          limit: never.limit,
          remaining: never.remaining,
          reset_ms: never.resetMs,
          unit: never.unit ?? 'requests',
        },
      },
    );
  }
  const worst = refused.reduce<RateLimitDecision | undefined>(
    (a, b) => (a === undefined || (b.retryAfterMs ?? 0) > (a.retryAfterMs ?? 0) ? b : a),
    undefined,
  );
  if (!worst) {
    return new GatewayError('RATE_LIMITED', 'Rate limit exceeded.', { retryAfterMs: 1000 });
  }
  const retryAfterMs = worst.retryAfterMs ?? 1000;
  return new GatewayError(
    'RATE_LIMITED',
    `Rate limit of ${worst.limit} ${worst.unit ?? 'requests'} for this ${worst.scope ?? 'tenant'} reached; retry after ${formatRateLimitDuration(retryAfterMs)}.`,
    {
      retryAfterMs,
      details: {
        limit: worst.limit,
        remaining: worst.remaining,
        reset_ms: worst.resetMs,
        retry_after_ms: retryAfterMs,
        unit: worst.unit ?? 'requests',
        ...(worst.scope ? { scope: worst.scope } : {}),
      },
    },
  );
}

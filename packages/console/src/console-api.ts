import {
  type Authenticate,
  type BudgetStore,
  type Gateway,
  GatewayError,
  type TenantContext,
  TOKENS,
  toNativeErrorEnvelope,
} from '@pixelgate/core';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import type { AuditReader } from './audit-reader.ts';

/** What the console's data routes need, passed explicitly. */
export interface ConsoleApiParts {
  gateway: Gateway;
  /** The same authenticator as the API routes: the console signs in with an API key. */
  authenticate: Authenticate;
  auditReader?: AuditReader;
  /** Tenants whose keys see every tenant's records in the audit view. */
  isAdmin: (tenant: TenantContext) => boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * `GET /v1/console/usage`: the caller's budgets (limit, used, remaining per bucket) and the
 * rate-limit rules that apply. `GET /v1/console/audit?limit=N`: the caller's newest audit records
 * (every tenant's for an admin key) and whether the chain verifies.
 */
export async function handleConsoleApi(
  parts: ConsoleApiParts,
  request: Request,
  path: string,
): Promise<Response> {
  const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
  try {
    if (request.method !== 'GET') {
      throw new GatewayError('VALIDATION_ERROR', `${request.method} is not allowed on ${path}; use GET.`, {
        status: 405,
      });
    }
    const tenant = await parts.authenticate(request);
    if (!tenant) {
      throw new GatewayError(
        'AUTHENTICATION_ERROR',
        'Sign in with an API key (Authorization: Bearer <key>).',
      );
    }
    if (path === '/v1/console/usage') return json(200, await usageOf(parts, tenant), requestId);
    if (path === '/v1/console/audit') return json(200, await auditOf(parts, tenant, request), requestId);
    throw new GatewayError('NOT_FOUND', `Unknown route: GET ${path}.`, { status: 404 });
  } catch (error) {
    const failure = GatewayError.isInstance(error)
      ? error
      : new GatewayError('INTERNAL_ERROR', 'The console could not read this; see the server logs.');
    return json(failure.status, toNativeErrorEnvelope(failure, requestId), requestId);
  }
}

async function usageOf(parts: ConsoleApiParts, tenant: TenantContext) {
  const { gateway } = parts;
  const store = gateway.container.resolve<BudgetStore>(TOKENS.BudgetStore);
  const buckets = budgetBuckets(gateway.config.budgets.rules, tenant, Date.now());
  const budgets = await Promise.all(
    buckets.map(async (bucket) => {
      const used = await store.used(bucket.key);
      return {
        label: bucket.label,
        limit_usd: bucket.limitUsd,
        used_usd: round(used),
        remaining_usd: round(Math.max(0, bucket.limitUsd - used)),
        ...(bucket.expiresAt ? { resets_at: new Date(bucket.expiresAt).toISOString() } : {}),
      };
    }),
  );
  const rateLimits = gateway.config.rateLimits.rules.map((rule) => ({
    scope: rule.scope,
    unit: rule.unit,
    limit: rule.limit,
    window_seconds: rule.windowMs / 1000,
  }));
  return { tenant_id: tenant.tenantId, budgets, rate_limits: rateLimits };
}

async function auditOf(parts: ConsoleApiParts, tenant: TenantContext, request: Request) {
  const limitText = new URL(request.url).searchParams.get('limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `limit must be a whole number from 1 to 500; got '${limitText}'.`,
      {
        param: 'limit',
      },
    );
  }
  if (!parts.auditReader) {
    return {
      admin: false,
      records: [],
      chain: { state: 'unavailable', detail: 'This server does not expose its audit log to the console.' },
    };
  }
  const admin = parts.isAdmin(tenant);
  const [records, chain] = await Promise.all([
    parts.auditReader.recent(admin ? { limit } : { tenantId: tenant.tenantId, limit }),
    parts.auditReader.verify(),
  ]);
  return { admin, records, chain };
}

function json(status: number, body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...JSON_HEADERS, 'x-request-id': requestId },
  });
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

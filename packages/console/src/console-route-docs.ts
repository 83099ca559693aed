import type { RouteDoc } from '@pixelgate/core';
import { auditRecordSchema } from '@pixelgate/core/spec';
import { z } from 'zod';

/** `GET /v1/console/usage`. */
export const consoleUsageSchema = z.object({
  tenant_id: z.string(),
  budgets: z.array(
    z.object({
      label: z.string(),
      limit_usd: z.number(),
      used_usd: z.number(),
      remaining_usd: z.number(),
      resets_at: z.string().optional(),
    }),
  ),
  rate_limits: z.array(
    z.object({ scope: z.string(), unit: z.string(), limit: z.number().int(), window_seconds: z.number() }),
  ),
});

/** `GET /v1/console/audit`. */
export const consoleAuditSchema = z.object({
  admin: z.boolean().describe('Whether the records are every tenant’s (an admin key).'),
  records: z.array(auditRecordSchema.loose()),
  chain: z.object({ state: z.enum(['verified', 'broken', 'unchained', 'unavailable']), detail: z.string() }),
});

/** The console's routes, for the OpenAPI document (`buildOpenApiDocument({ extraRoutes })`). */
export const CONSOLE_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/console/usage',
    operationId: 'consoleUsage',
    summary: "The caller's budgets and rate limits",
    description:
      'Each budget bucket that applies to the caller with its limit, spend and remainder, and the rate-limit rules.',
    tags: ['Console'],
    style: 'native',
    authenticated: true,
    responses: { '200': { description: 'Usage.', schema: consoleUsageSchema, headers: ['x-request-id'] } },
    errors: [401, 405, 500],
  },
  {
    method: 'get',
    path: '/v1/console/audit',
    operationId: 'consoleAudit',
    summary: "The caller's newest audit records and the chain's state",
    description: 'Newest first. An admin key sees every tenant. `chain.state` says whether the log verifies.',
    tags: ['Console'],
    style: 'native',
    authenticated: true,
    parameters: [
      {
        name: 'limit',
        in: 'query',
        description: 'How many records, 1 to 500 (default 50).',
        required: false,
      },
    ],
    responses: { '200': { description: 'Records.', schema: consoleAuditSchema, headers: ['x-request-id'] } },
    errors: [400, 401, 405, 500],
  },
];

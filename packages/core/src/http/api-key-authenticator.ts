import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type TenantContext, tenantContextSchema } from '../access/tenant.ts';
import { validateTenantOnce } from '../access/validated-tenant.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { HeaderReader } from './http-exchange.ts';

/**
 * Turns a request into the caller's tenant, or null when the request proves no identity. The HTTP
 * handler calls it once per request (except the media route, which a signed token authorizes), so
 * an embedding server can plug in sessions, JWTs or its own key store without touching pixelgate.
 */
export type Authenticate = (
  request: Request,
) => TenantContext | null | undefined | Promise<TenantContext | null | undefined>;

/**
 * One API key. Give `hash` (sha256 hex of the key, see {@link hashApiKey}) so the secret itself
 * never sits in configuration; `key` is accepted for development and is hashed at startup.
 */
export const apiKeyEntrySchema = z
  .strictObject({
    /** Public id of the key: goes into audit records and rate-limit buckets, never the secret. */
    id: z.string().min(1).max(200),
    /** sha256 of the key, 64 hex digits. */
    hash: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'hash must be the sha256 of the key as 64 hex digits')
      .optional(),
    /** The key in clear (development only; at least 16 characters). */
    key: z.string().min(16, 'API keys must be at least 16 characters').max(512).optional(),
    tenantId: tenantContextSchema.shape.tenantId,
    userId: tenantContextSchema.shape.userId,
    plan: tenantContextSchema.shape.plan,
    allowedModels: tenantContextSchema.shape.allowedModels,
    allowedProviders: tenantContextSchema.shape.allowedProviders,
    credentials: tenantContextSchema.shape.credentials,
  })
  .refine((entry) => (entry.hash === undefined) !== (entry.key === undefined), {
    message: 'give exactly one of hash (sha256 hex, preferred) or key',
    path: ['hash'],
  });
/** One configured API key. */
export type ApiKeyEntry = z.input<typeof apiKeyEntrySchema>;

/**
 * The built-in {@link Authenticate}, which needs only the request headers: servers that never
 * build a `Request` (the Node fast path) call `fromHeaders` directly.
 */
export type ApiKeyAuthenticator = Authenticate & {
  /** The tenant of the key the headers present, or null. */
  readonly fromHeaders: (headers: HeaderReader) => TenantContext | null;
};

/** Options of {@link createApiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  keys: ApiKeyEntry[];
}

/** sha256 hex of an API key: what to store in `hash` so configuration never holds the key itself. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (what OpenAI SDKs send) or
 * `x-api-key: <key>`. Undefined when neither header carries one.
 */
export function presentedApiKey(request: { readonly headers: HeaderReader }): string | undefined {
  const authorization = request.headers.get('authorization');
  if (authorization) {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers.get('x-api-key')?.trim();
  return header ? header : undefined;
}

/** True when a request carries any credential header, valid or not. */
export function hasCredentials(request: { readonly headers: HeaderReader }): boolean {
  return request.headers.has('authorization') || request.headers.has('x-api-key');
}

/**
 * The built-in {@link Authenticate}: static API keys mapped to tenants. Keys are kept only as
 * sha256 digests; a presented key is hashed and compared with every stored digest using
 * `crypto.timingSafeEqual`, without stopping at the first match, so response time says nothing
 * about which keys exist or how close a guess was.
 * @throws GatewayError CONFIGURATION_ERROR for an invalid, duplicate or ambiguous key list.
 */
export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): ApiKeyAuthenticator {
  const parsed = z.array(apiKeyEntrySchema).min(1, 'at least one key is needed').safeParse(options?.keys);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GatewayError('CONFIGURATION_ERROR', `API keys: ${issue.message}.`, {
      param: ['keys', ...issue.path].join('.'),
    });
  }
  const ids = new Set<string>();
  const digests = new Set<string>();
  const entries = parsed.data.map((entry, index) => {
    if (ids.has(entry.id)) {
      throw new GatewayError('CONFIGURATION_ERROR', `API keys: the id "${entry.id}" is listed twice.`, {
        param: `keys.${index}.id`,
      });
    }
    ids.add(entry.id);
    const digest = (entry.hash ?? hashApiKey(entry.key!)).toLowerCase();
    if (digests.has(digest)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `API keys: key "${entry.id}" has the same secret as another key.`,
        {
          param: `keys.${index}`,
        },
      );
    }
    digests.add(digest);
    const { key: _key, hash: _hash, id, ...tenant } = entry;
    // Validated and frozen here, once: requests reuse the context without another schema check.
    const context = validateTenantOnce({ ...stripUndefined(tenant), keyId: id })!;
    return { digest: Buffer.from(digest, 'hex'), context };
  });

  const fromHeaders = (headers: HeaderReader): TenantContext | null => {
    const key = presentedApiKey({ headers });
    if (key === undefined || key.length > 512) return null;
    const presented = createHash('sha256').update(key, 'utf8').digest();
    let found: TenantContext | null = null;
    for (const entry of entries) {
      // No early exit: every digest is compared, whatever matched before.
      if (timingSafeEqual(entry.digest, presented)) found = entry.context;
    }
    return found;
  };
  return Object.assign((request: Request) => fromHeaders(request.headers), { fromHeaders });
}

function stripUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T;
}

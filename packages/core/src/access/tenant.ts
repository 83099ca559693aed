import { z } from 'zod';

/**
 * Who is calling. The HTTP authenticator (or the embedding server) builds it; the pipeline uses it
 * for access, budgets, rate limits and the audit record. Credentials are bring-your-own-key
 * secrets per provider id; they reach the provider call and nothing else.
 */
export const tenantContextSchema = z.strictObject({
  tenantId: z.string().min(1).max(200),
  userId: z.string().min(1).max(256).optional(),
  /** Id (never the secret) of the API key used. */
  keyId: z.string().min(1).max(200).optional(),
  /** Plan tier name, matched against access rules. */
  plan: z.string().optional(),
  /** Model patterns this tenant may use (`openai/*`, `stability/sd3.5-large`); absent means all. */
  allowedModels: z.array(z.string()).optional(),
  /** Provider ids this tenant may use; absent means all. */
  allowedProviders: z.array(z.string()).optional(),
  /** Per-provider credentials (BYOK), keyed by provider id. Never logged. */
  credentials: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});
/** The caller of one request. */
export type TenantContext = z.infer<typeof tenantContextSchema>;

/** The caller used when an embedding server passes none. */
export const ANONYMOUS_TENANT: TenantContext = Object.freeze({ tenantId: 'anonymous' }) as TenantContext;

import { z } from 'zod';
import { type AccessPolicyFunction, accessPolicyOptionsSchema } from '../access/access-policy.ts';
import { budgetRuleSchema } from '../budget/budget-store.ts';
import { rateLimitRuleSchema } from '../rate-limit/rate-limit-store.ts';

/**
 * The data part of the gateway's configuration: everything that can live in a JSON or YAML file.
 * Validated once at startup so a typo is a clear CONFIGURATION_ERROR, not a surprise at request
 * time.
 */
export const gatewayConfigSchema = z.strictObject({
  /** Model used when a request names none. */
  defaultModel: z.string().min(1).optional(),
  /** `strict` refuses unsupported values; `coerce` maps them to the nearest and warns. */
  capabilityPolicy: z.enum(['strict', 'coerce']).default('strict'),
  dispatch: z
    .strictObject({
      /** Split calls of one request in flight at once. */
      concurrency: z.number().int().min(1).max(32).default(4),
      /** Whole-request deadline in ms (every provider call and retry must finish within it). */
      timeoutMs: z.number().int().positive().default(180_000),
      /** `fail`: any failed split call fails the request; `return_partial`: return what succeeded, with a warning. */
      partialFailure: z.enum(['fail', 'return_partial']).default('fail'),
      retry: z
        .strictObject({
          maxRetries: z.number().int().min(0).max(10).default(2),
          initialDelayMs: z.number().int().min(0).default(500),
          maxDelayMs: z.number().int().min(0).default(10_000),
          maxRetryAfterMs: z.number().int().min(0).default(60_000),
        })
        .prefault({}),
      /** Ordered fallback models per model (`{ 'openai/gpt-image-1.5': ['stability/stable-image-core'] }`). */
      fallbacks: z.record(z.string(), z.array(z.string())).default({}),
      /** Backend failure reasons that move on to a fallback model. */
      fallbackOn: z
        .array(
          z.enum([
            'rate_limited',
            'upstream_unavailable',
            'timeout',
            'model_unavailable',
            'malformed_response',
            'insufficient_credit',
            'upstream_auth',
          ]),
        )
        .default(['rate_limited', 'upstream_unavailable', 'timeout', 'model_unavailable']),
    })
    .prefault({}),
  storage: z
    .strictObject({
      /** `always` stores every image (evidence, URLs); `url_only` stores only when a URL is asked for. */
      mode: z.enum(['always', 'url_only']).default('always'),
      /** How long stored images are kept before a sweep may delete them, in seconds (default 1 day). */
      retentionSeconds: z.number().int().positive().default(86_400),
    })
    .prefault({}),
  media: z
    .strictObject({
      /** Lifetime of a media URL in seconds (default 1 hour). */
      ttlSeconds: z
        .number()
        .int()
        .positive()
        .max(7 * 86_400)
        .default(3600),
      /** Absolute base URL the media route is reachable at (`https://api.example.com`); relative URLs otherwise. */
      publicBaseUrl: z.string().url().optional(),
      /** Path prefix where the HTTP handler is mounted (`/oai`). */
      pathPrefix: z
        .string()
        .regex(/^(\/[A-Za-z0-9._~-]+)*$/)
        .default(''),
      /** `proxy` serves through the media route with a signed token; `presigned` uses the store's own URLs. */
      mode: z.enum(['proxy', 'presigned']).default('proxy'),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** How much of the prompt the audit record keeps. */
      promptRetention: z.enum(['hash', 'redacted', 'full']).default('redacted'),
      /** Fail the request when its audit record cannot be written (default true: no unaudited calls). */
      failClosed: z.boolean().default(true),
    })
    .prefault({}),
  budgets: z
    .strictObject({
      rules: z.array(budgetRuleSchema).default([]),
      /** What to do when a model has no price: refuse, or allow and flag the request. */
      unknownPrice: z.enum(['refuse', 'allow_and_flag']).default('refuse'),
    })
    .prefault({}),
  rateLimits: z.strictObject({ rules: z.array(rateLimitRuleSchema).default([]) }).prefault({}),
  /** Plan tiers: which models and providers each plan may use, and the plan of tenants without one. */
  access: accessPolicyOptionsSchema.prefault({}),
});
/** Parsed gateway configuration. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
/** Gateway configuration as written. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** Decides whether a tenant may use a model (see `createAccessPolicy`). */
export type AccessPolicy = AccessPolicyFunction;

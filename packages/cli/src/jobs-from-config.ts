import type { Authenticate, FetchHandler, Gateway, TenantContext } from '@pixelgate/core';
import {
  createBatchService,
  createIdempotency,
  createJobService,
  createJobsHandler,
  createWebhookDispatcher,
  type JobService,
  type WebhookDispatcher,
} from '@pixelgate/jobs';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { UsageError } from './io.ts';

/**
 * `jobs` in the config file: durable jobs, batches, webhooks and `Idempotency-Key` on the Redis of
 * the `redis` section. Jobs are on whenever `redis` is configured; this section only tunes them.
 */
export const jobsConfigSchema = z.strictObject({
  /** Turn the job routes off although Redis is configured (default true). */
  enabled: z.boolean().default(true),
  /** Whether `serve` also runs workers in its own process (default true; `pixelgate worker` runs them alone). */
  workers: z.boolean().default(true),
  /** Jobs one worker process runs at once (default 4). */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** Provider calls of jobs one process runs at once, per provider id (`{ bfl: 2 }`); others are not limited. */
  providerConcurrency: z.record(z.string().min(1), z.number().int().min(1).max(256)).optional(),
  /** How long a dead worker's job waits before another worker takes it over (default 30000). */
  lockDurationMs: z.number().int().min(1000).optional(),
  /** How long finished jobs and idempotent responses stay readable (default 86400). */
  retentionSeconds: z.number().int().min(60).optional(),
  /** Most requests one batch may hold (default 500). */
  maxBatchItems: z.number().int().min(1).optional(),
  /** Signed webhooks: the Standard Webhooks secret (`whsec_…`) per tenant id; without it `webhook_url` is refused. */
  webhooks: z
    .strictObject({
      secrets: z.record(z.string().min(1), z.string().regex(/^whsec_/, 'a whsec_… secret')),
      /** Allow receivers on loopback and private networks (default false: an SSRF guard). */
      allowPrivateNetworks: z.boolean().optional(),
      /** Allow plain http receivers (default false). */
      allowHttp: z.boolean().optional(),
    })
    .optional(),
});

/** The part of the CLI config the jobs read. */
export interface JobsConfigParts {
  redis?: { url: string; prefix?: string | undefined } | undefined;
  jobs?: z.infer<typeof jobsConfigSchema> | undefined;
}

/** The job machinery of one process, as {@link openJobs} returns it. */
export interface OpenJobs {
  jobs: JobService;
  webhooks?: WebhookDispatcher;
  /** Puts the job and batch routes and `Idempotency-Key` in front of the API handler. */
  wrap(api: FetchHandler, auth: { authenticate?: Authenticate; anonymous?: TenantContext }): FetchHandler;
  /** Starts job (and webhook) workers in this process. */
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** BullMQ's prefix from the Redis stores' one (`pixelgate:` → `pixelgate`). */
function queuePrefix(parts: JobsConfigParts): string {
  return (parts.redis?.prefix ?? 'pixelgate:').replace(/:$/, '') || 'pixelgate';
}

/**
 * Opens the jobs of a config with a `redis` section (undefined without one, or with
 * `jobs.enabled: false`). The same call serves `serve` (routes, and workers unless
 * `jobs.workers` is false) and `pixelgate worker` (workers only).
 */
export function openJobs(parts: JobsConfigParts, gateway: Gateway): OpenJobs | undefined {
  if (!parts.redis || parts.jobs?.enabled === false) return undefined;
  const settings = parts.jobs;
  const redisUrl = parts.redis.url;
  const prefix = queuePrefix(parts);
  const webhooks = settings?.webhooks
    ? createWebhookDispatcher({
        redisUrl,
        prefix,
        secrets: settings.webhooks.secrets,
        policy: {
          ...(settings.webhooks.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
          ...(settings.webhooks.allowHttp ? { allowHttp: true } : {}),
        },
      })
    : undefined;
  const jobs = createJobService({
    gateway,
    redisUrl,
    prefix,
    ...(settings?.concurrency ? { concurrency: settings.concurrency } : {}),
    ...(settings?.lockDurationMs ? { lockDurationMs: settings.lockDurationMs } : {}),
    ...(settings?.retentionSeconds ? { retentionSeconds: settings.retentionSeconds } : {}),
    ...(webhooks ? { webhooks } : {}),
  });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    jobs,
    ...(webhooks ? { webhooks } : {}),
    wrap(api, auth) {
      const authenticate = authenticatorOf(auth);
      const batches = createBatchService({
        gateway,
        jobs,
        redis,
        prefix,
        ...(settings?.maxBatchItems ? { maxItems: settings.maxBatchItems } : {}),
      });
      const routes = createJobsHandler({
        jobs,
        batches,
        authenticate,
        pathPrefix: gateway.config.media.pathPrefix,
      });
      const idempotency = createIdempotency({
        redis,
        prefix: `${prefix}:`,
        ...(settings?.retentionSeconds ? { ttlSeconds: settings.retentionSeconds } : {}),
      });
      return idempotency.wrap(async (request) => (await routes(request)) ?? api(request), authenticate);
    },
    async startWorkers() {
      await jobs.startWorkers();
      await webhooks?.startWorkers();
    },
    async close() {
      await jobs.close();
      await webhooks?.close();
      redis.disconnect();
    },
  };
}

/** The job routes' authenticator: the API keys, or the anonymous tenant when none are configured. */
function authenticatorOf(auth: { authenticate?: Authenticate; anonymous?: TenantContext }): Authenticate {
  if (auth.authenticate) return auth.authenticate;
  const anonymous = auth.anonymous;
  if (!anonymous) throw new UsageError('jobs need API keys or an anonymous tenant');
  return () => anonymous;
}

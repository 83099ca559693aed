import {
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  type Gateway,
  type GatewayOptions,
  type ImageProvider,
  MemoryAuditSink,
} from '@pixelgate/core';
import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import {
  createJobService,
  createJobsHandler,
  type JobService,
  type WebhookDispatcher,
} from '../src/index.ts';
import { JOBS_ROUTE_DOCS } from '../src/jobs-route-docs.ts';

export const KEY_A = 'pg-jobs-tenant-a-0123456789';
export const KEY_B = 'pg-jobs-tenant-b-0123456789';

/** A provider that answers after `holdMs`, or, with `hold` set, only once released (or aborted). */
export function createSlowProvider(options: { holdMs?: number; hold?: Promise<void> } = {}) {
  const aborted: string[] = [];
  const provider = createMockImageProvider({
    models: [MOCK_MODEL],
    async generate(call, context) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          aborted.push(call.prompt);
          reject(context.signal?.reason ?? new Error('aborted'));
        };
        if (context.signal?.aborted) return onAbort();
        context.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => {
          context.signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (options.hold) options.hold.then(done);
        else setTimeout(done, options.holdMs ?? 10);
      });
      return {
        images: Array.from({ length: call.n }, () => ({ bytes: solidPng(256, 256), mediaType: 'image/png' })),
      };
    },
  });
  return { provider, aborted };
}

/** A gateway with a job service and the API + job routes in front of it. */
export interface JobsFixture {
  gateway: Gateway;
  audit: MemoryAuditSink;
  jobs: JobService;
  handler: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

export async function startJobsFixture(options: {
  redisUrl: string;
  prefix: string;
  provider: ImageProvider;
  workers?: boolean;
  webhooks?: WebhookDispatcher;
  lockDurationMs?: number;
  /** The job service's body limit (default its own, 20 MiB). */
  maxBodyBytes?: number;
  /** More gateway options (budgets, a budget store, guardrails). */
  gateway?: Omit<GatewayOptions, 'providers' | 'auditSink'>;
}): Promise<JobsFixture> {
  const audit = new MemoryAuditSink();
  const gateway = createGateway({ ...options.gateway, providers: [options.provider], auditSink: audit });
  const authenticate = createApiKeyAuthenticator({
    keys: [
      { id: 'a', key: KEY_A, tenantId: 'tenant-a' },
      { id: 'b', key: KEY_B, tenantId: 'tenant-b' },
    ],
  });
  const jobs = createJobService({
    gateway,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    lockDurationMs: options.lockDurationMs ?? 2000,
    stalledIntervalMs: 500,
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  if (options.workers !== false) await jobs.startWorkers();
  const api = createHttpHandler(gateway, { authenticate, extraRouteDocs: JOBS_ROUTE_DOCS });
  const jobRoutes = createJobsHandler({ jobs, authenticate });
  return {
    gateway,
    audit,
    jobs,
    handler: async (request) => (await jobRoutes(request)) ?? api(request),
    async close() {
      await jobs.close();
      await gateway.close();
    },
  };
}

/** Polls a job until it reaches one of the states, within a bounded number of polls. */
export async function waitForJob(
  handler: (request: Request) => Promise<Response>,
  id: string,
  states: string[],
  key = KEY_A,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await handler(
      new Request(`http://gateway.test/v1/inference/images/jobs/${id}`, {
        headers: { authorization: `Bearer ${key}` },
      }),
    );
    const view = (await response.json()) as Record<string, unknown>;
    if (states.includes(view.status as string)) return view;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} never reached ${states.join(' or ')}`);
}

import { randomBytes } from 'node:crypto';
import { type Gateway, GatewayError, type TenantContext, toGatewayError } from '@pixelgate/core';
import type { BudgetReservation } from '@pixelgate/core/spec';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { releaseJobBudget, reserveJobBudget } from './job-budget.ts';
import { auditJobRefusal, precheckJob } from './job-precheck.ts';
import { createJobProcessor } from './job-processor.ts';
import type { JobData, JobEvent, JobOperation, JobStatus, JobView } from './job-schemas.ts';
import { checkWebhookUrl, type WebhookDispatcher } from './webhooks.ts';

/** Options of {@link createJobService}. */
export interface JobServiceOptions {
  gateway: Gateway;
  /** Redis URL (redis://host:port/db) shared by every gateway and worker process. */
  redisUrl: string;
  /** Key prefix per deployment (BullMQ's prefix; default `pixelgate`). */
  prefix?: string;
  /** Jobs one worker process runs at once (default 4). */
  concurrency?: number;
  /** How long a worker's hold on a job lasts without renewal; a killed worker's jobs move on after it (default 30 s). */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (default: lockDurationMs). */
  stalledIntervalMs?: number;
  /** How long finished jobs stay readable (default 24 h). */
  retentionSeconds?: number;
  /** Signed webhook delivery; without it `webhook_url` is refused. */
  webhooks?: WebhookDispatcher;
  /**
   * Largest job body, in bytes of its JSON (default 20 MiB). The body is kept in Redis until the
   * job's retention ends, an edit's input images included, so this bounds what one job stores.
   */
  maxBodyBytes?: number;
}

/** Default {@link JobServiceOptions.maxBodyBytes}: room for a few large input images as data URLs. */
export const DEFAULT_MAX_JOB_BODY_BYTES = 20 * 1024 * 1024;

const QUEUE = 'images';

/**
 * Durable image jobs on BullMQ. A job is accepted (202) only after the request passed validation,
 * model access and the capability check; a worker runs it through the gateway with the job id as
 * the request id (so the job has exactly one audit record), and a job whose worker was killed is
 * picked up by another worker after the lock expires.
 */
export function createJobService(options: JobServiceOptions) {
  const prefix = options.prefix ?? 'pixelgate';
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<JobData>(QUEUE, { connection, prefix });
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const cancelChannel = `${prefix}:jobs:cancel`;
  const cancelledKey = (id: string) => `${prefix}:jobs:cancelled:${id}`;
  const running = new Map<string, AbortController>();
  const retention = options.retentionSeconds ?? 86_400;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_JOB_BODY_BYTES;
  let workers: Worker[] = [];
  let subscribed: Promise<unknown> | undefined;

  const submit = async (
    tenant: TenantContext,
    body: Record<string, unknown>,
    submitOptions: {
      style: 'openai' | 'native';
      webhookUrl?: string;
      source?: string;
      /** What the job runs (default `generate`). */
      operation?: JobOperation;
    },
  ): Promise<JobView> => {
    const source = submitOptions.source ?? 'job';
    const operation = submitOptions.operation ?? 'generate';
    const size = Buffer.byteLength(JSON.stringify(body));
    if (size > maxBodyBytes)
      await refuse({ tenant, body, source, operation, error: jobBodyTooLarge(maxBodyBytes, size) });
    if (submitOptions.webhookUrl !== undefined) {
      await checkWebhook(options.webhooks, tenant, submitOptions.webhookUrl).catch((thrown: unknown) =>
        refuse({ tenant, body, source, operation, error: toGatewayError(thrown) }),
      );
    }
    const id = `job_${randomBytes(16).toString('hex')}`;
    const reservation = await acceptJob(options.gateway, tenant, body, id, source, operation);
    const data: JobData = {
      tenantId: tenant.tenantId,
      operation,
      ...(tenant.userId ? { userId: tenant.userId } : {}),
      ...(tenant.keyId ? { keyId: tenant.keyId } : {}),
      body,
      style: submitOptions.style,
      ...(submitOptions.webhookUrl ? { webhookUrl: submitOptions.webhookUrl } : {}),
      ...(reservation ? { reservation } : {}),
      createdAt: new Date().toISOString(),
    };
    const job = await queue
      .add(operation, data, {
        jobId: id,
        removeOnComplete: { age: retention },
        removeOnFail: { age: retention },
      })
      .catch(async (error: unknown) => {
        await releaseJobBudget(options.gateway, reservation);
        throw error;
      });
    options.gateway.events.emit('job-queued', {
      requestId: id,
      tenantId: tenant.tenantId,
      jobId: id,
      source,
    });
    await options.webhooks?.enqueue(data, id, { type: 'job.queued', at: data.createdAt });
    return viewOf(job, 'queued');
  };

  /** Refuses a job before it exists, with the request's one audit record (for the HTTP handler). */
  const refuse = (refused: RefusedJob): Promise<never> => refuseJob(options.gateway, refused);

  const find = async (tenant: TenantContext, id: string): Promise<Job<JobData> | undefined> => {
    if (!/^job_[0-9a-f]{32}$/.test(id)) return undefined;
    const job = await queue.getJob(id);
    // Another tenant's job is as missing as one that never existed.
    return job && job.data.tenantId === tenant.tenantId ? job : undefined;
  };

  const get = async (tenant: TenantContext, id: string): Promise<JobView | undefined> => {
    let job = await find(tenant, id);
    if (!job) return undefined;
    const status = await statusOf(job);
    // The job may have finished between reading it and reading its state: read it again for its result.
    if (status === 'succeeded' && job.returnvalue == null) job = (await queue.getJob(id)) ?? job;
    const view = viewOf(job, status);
    if (job.data.webhookUrl && options.webhooks)
      view.webhook_deliveries = await options.webhooks.deliveries(id);
    return view;
  };

  const cancel = async (tenant: TenantContext, id: string): Promise<JobView | undefined> => {
    const job = await find(tenant, id);
    if (!job) return undefined;
    const status = await statusOf(job);
    if (status === 'queued' || status === 'running') {
      await connection.set(cancelledKey(id), '1', 'EX', retention);
      await connection.publish(cancelChannel, id);
    }
    return viewOf(job, await statusOf(job));
  };

  const statusOf = async (job: Job<JobData>): Promise<JobStatus> => {
    const state = await job.getState();
    if (state === 'completed') return 'succeeded';
    if ((await connection.exists(cancelledKey(job.id!))) === 1) return 'cancelled';
    if (state === 'active') return 'running';
    if (state === 'failed') return 'failed';
    return 'queued';
  };

  const process = createJobProcessor({
    gateway: options.gateway,
    isCancelled: async (id) => (await connection.exists(cancelledKey(id))) === 1,
    running,
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
  });

  /** Starts workers in this process (`pixelgate serve` does by default; `pixelgate worker` only this). */
  const startWorkers = async (): Promise<void> => {
    subscribed ??= subscriber.subscribe(cancelChannel).then(() => {
      subscriber.on('message', (_channel, id: string) => running.get(id)?.abort());
    });
    await subscribed;
    const lockDuration = options.lockDurationMs ?? 30_000;
    const worker = new Worker<JobData>(QUEUE, process, {
      connection: new Redis(options.redisUrl, { maxRetriesPerRequest: null }),
      prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? lockDuration,
      maxStalledCount: 1,
    });
    await worker.waitUntilReady();
    workers.push(worker);
  };

  const close = async (): Promise<void> => {
    await Promise.all(workers.map((worker) => worker.close()));
    workers = [];
    await queue.close();
    subscriber.disconnect();
    connection.disconnect();
  };

  return { submit, get, cancel, startWorkers, close, queue, maxBodyBytes, refuse };
}

/** A job service, as {@link createJobService} returns it. */
export type JobService = ReturnType<typeof createJobService>;

/**
 * Everything checked before the 202: the gateway's preflight (schema, model, access, capabilities,
 * input guardrails), then the budget hold. A refusal is the gateway's own, with its one audit
 * record (the preflight audits what it refuses; an over-budget request is audited as refused with
 * the budget's error). Answers the hold the job keeps.
 */
async function acceptJob(
  gateway: Gateway,
  tenant: TenantContext,
  body: Record<string, unknown>,
  id: string,
  source: string,
  operation: JobOperation,
): Promise<BudgetReservation | undefined> {
  const passed = await precheckJob(gateway, tenant, body, source, operation);
  return reserveJobBudget(gateway, tenant, passed, `rsv_${id}`).catch(async (thrown: unknown) => {
    await auditJobRefusal(gateway, tenant, body, source, operation, toGatewayError(thrown));
    throw thrown;
  });
}

/** A job refused before it exists: who sent it, what of its body is known, and why. */
export interface RefusedJob {
  tenant: TenantContext;
  body: Record<string, unknown>;
  source: string;
  operation: JobOperation;
  error: GatewayError;
}

/**
 * Writes a refused job's one audit record and throws its error. The record names the model
 * alone: a refused body (perhaps oversized, with images in it) is not looked at further.
 */
async function refuseJob(gateway: Gateway, refused: RefusedJob): Promise<never> {
  const { tenant, body, source, operation, error } = refused;
  const summary = typeof body.model === 'string' ? { model: body.model } : {};
  await auditJobRefusal(gateway, tenant, summary, source, operation, error);
  throw error;
}

/** The 413 for a job body over `limit` bytes, saying why jobs have a limit. */
export function jobBodyTooLarge(limit: number, size?: number): GatewayError {
  const measured = size === undefined ? '' : ` (${size} bytes)`;
  return new GatewayError(
    'PAYLOAD_TOO_LARGE',
    `The job body${measured} is larger than the ${limit} bytes a job may hold: a job's body, input images included, is kept in Redis until the job expires. Send fewer or smaller images, or make the request synchronously.`,
    { details: { limit_bytes: limit } },
  );
}

/** A job may ask for webhooks only where they are delivered, with a tenant secret and an allowed URL. */
async function checkWebhook(webhooks: WebhookDispatcher | undefined, tenant: TenantContext, url: string) {
  if (!webhooks) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'This server does not deliver webhooks; leave webhook_url out.',
      {
        param: 'webhook_url',
      },
    );
  }
  webhooks.secretOf(tenant.tenantId);
  await checkWebhookUrl(url, webhooks.policy);
}

function viewOf(job: Job<JobData>, status: JobStatus): JobView {
  const progress = job.progress as { events?: JobEvent[] } | number;
  const events: JobEvent[] = [
    { type: 'job.queued', at: job.data.createdAt },
    ...(typeof progress === 'object' && progress?.events ? progress.events : []),
  ];
  const view: JobView = { id: job.id!, object: 'image.job', status, created_at: job.data.createdAt, events };
  if (status === 'succeeded' && job.returnvalue) {
    view.events.push({ type: 'job.completed', at: new Date(job.finishedOn ?? Date.now()).toISOString() });
    view.result = job.returnvalue as Record<string, unknown>;
  }
  if ((status === 'failed' || status === 'cancelled') && job.failedReason) {
    view.events.push({
      type: status === 'failed' ? 'job.failed' : 'job.cancelled',
      at: new Date(job.finishedOn ?? Date.now()).toISOString(),
    });
    view.error = parseError(job.failedReason);
  }
  return view;
}

function parseError(reason: string): JobView['error'] {
  try {
    return JSON.parse(reason) as JobView['error'];
  } catch {
    return { code: 'INTERNAL_ERROR', message: 'The job failed; see the server logs.', param: null };
  }
}

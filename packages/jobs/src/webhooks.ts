import { randomUUID } from 'node:crypto';
import { GatewayError } from '@pixelgate/core';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import type { JobData, JobEvent } from './job-schemas.ts';
import { checkWebhookUrl, type WebhookUrlPolicy } from './webhook-url-policy.ts';

export { checkWebhookUrl, type WebhookUrlPolicy } from './webhook-url-policy.ts';

/** Options of {@link createWebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  redisUrl: string;
  prefix?: string;
  /** The Standard Webhooks secret (`whsec_…`) of each tenant; a tenant without one cannot ask for webhooks. */
  secrets: Record<string, string>;
  policy?: WebhookUrlPolicy;
  /** Delivery attempts per event, with exponential backoff (default 8). */
  attempts?: number;
  /** First retry delay; each further one doubles (default 1 s). */
  backoffMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** The fetch used to post (a test seam). */
  fetch?: typeof fetch;
}

/** One delivery attempt, as the job's delivery log keeps it. */
export interface WebhookDelivery {
  event: string;
  attempt: number;
  status: number | null;
  at: string;
  error?: string;
}

interface DeliveryData {
  url: string;
  tenantId: string;
  jobId: string;
  messageId: string;
  payload: string;
  event: string;
}

const QUEUE = 'webhooks';

/**
 * Signed webhook delivery on BullMQ: every job event goes to the job's `webhook_url`, signed with
 * the tenant's secret per the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), at least once, retried with exponential backoff until a 2xx. Each attempt
 * is kept in the job's delivery log. The URL is re-checked against the policy before each attempt.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions) {
  const prefix = options.prefix ?? 'pixelgate';
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<DeliveryData>(QUEUE, { connection, prefix });
  const logKey = (jobId: string) => `${prefix}:jobs:deliveries:${jobId}`;
  const policy = options.policy ?? {};
  const post = options.fetch ?? fetch;
  let workers: Worker[] = [];

  const secretOf = (tenantId: string): string => {
    const secret = options.secrets[tenantId];
    if (!secret) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        'No webhook secret is configured for this tenant; ask the operator, or leave webhook_url out.',
        {
          param: 'webhook_url',
        },
      );
    }
    return secret;
  };

  const enqueue = async (data: JobData, jobId: string, event: JobEvent, detail?: Record<string, unknown>) => {
    if (!data.webhookUrl) return;
    const messageId = `msg_${randomUUID()}`;
    const payload = JSON.stringify({
      type: event.type,
      timestamp: event.at,
      data: { job_id: jobId, ...detail },
    });
    await queue.add(
      'deliver',
      { url: data.webhookUrl, tenantId: data.tenantId, jobId, messageId, payload, event: event.type },
      {
        attempts: options.attempts ?? 8,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
        removeOnComplete: { age: 86_400 },
        removeOnFail: { age: 86_400 },
      },
    );
  };

  const deliver = async (job: Job<DeliveryData>): Promise<void> => {
    const { url, tenantId, jobId, messageId, payload, event } = job.data;
    const attempt = job.attemptsMade + 1;
    const record = (status: number | null, error?: string) =>
      connection
        .rpush(
          logKey(jobId),
          JSON.stringify({
            event,
            attempt,
            status,
            at: new Date().toISOString(),
            ...(error ? { error } : {}),
          }),
        )
        .then(() => connection.expire(logKey(jobId), 86_400));
    let status: number | null = null;
    try {
      await checkWebhookUrl(url, policy);
      const timestamp = new Date();
      const signature = new Webhook(secretOf(tenantId)).sign(messageId, timestamp, payload);
      const response = await post(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      await record(null, error instanceof Error ? error.message : 'delivery failed');
      throw error;
    }
    await record(status);
    if (status < 200 || status >= 300) throw new Error(`the receiver answered ${status}`);
  };

  /** The delivery attempts of a job so far, oldest first. */
  const deliveries = async (jobId: string): Promise<WebhookDelivery[]> =>
    (await connection.lrange(logKey(jobId), 0, -1)).map((line) => JSON.parse(line) as WebhookDelivery);

  const startWorkers = async (concurrency = 4): Promise<void> => {
    const worker = new Worker<DeliveryData>(QUEUE, deliver, {
      connection: new Redis(options.redisUrl, { maxRetriesPerRequest: null }),
      prefix,
      concurrency,
    });
    await worker.waitUntilReady();
    workers.push(worker);
  };

  const close = async (): Promise<void> => {
    await Promise.all(workers.map((worker) => worker.close()));
    workers = [];
    await queue.close();
    connection.disconnect();
  };

  return { policy, secretOf, enqueue, deliveries, startWorkers, close };
}

/** A webhook dispatcher, as {@link createWebhookDispatcher} returns it. */
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

import { randomBytes } from 'node:crypto';
import { type Gateway, GatewayError, type TenantContext, toGatewayError } from '@pixelgate/core';
import type { Redis } from 'ioredis';
import type { JobStatus } from './job-schemas.ts';
import type { JobService } from './job-service.ts';

/** Options of {@link createBatchService}. */
export interface BatchServiceOptions {
  gateway: Gateway;
  jobs: JobService;
  redis: Redis;
  prefix?: string;
  /** Most requests one batch may hold (default 500). */
  maxItems?: number;
  /** How long a batch stays readable (default 24 h). */
  retentionSeconds?: number;
}

/** One request of a batch: its job, or why it was refused before it became one. */
interface BatchItem {
  index: number;
  jobId?: string;
  error?: { code: string; message: string; param: string | null };
}

interface BatchItemView {
  index: number;
  job_id?: string;
  status: JobStatus;
  error?: { code: string; message: string; param: string | null };
  result?: Record<string, unknown>;
}

interface BatchRecord {
  id: string;
  tenantId: string;
  createdAt: string;
  items: BatchItem[];
  resultsKey?: string;
}

/**
 * Batches: up to `maxItems` generation requests (a JSON array or JSONL), each run as its own job
 * under its own budget reservation and rate limit. A request refused up front is listed as failed
 * with its error (and audited), never dropped. When every item has finished, the batch writes one
 * results JSONL (one line per item, in order) to the gateway's storage.
 */
export function createBatchService(options: BatchServiceOptions) {
  const prefix = options.prefix ?? 'pixelgate';
  const maxItems = options.maxItems ?? 500;
  const retention = options.retentionSeconds ?? 86_400;
  const key = (id: string) => `${prefix}:batches:${id}`;

  const submit = async (
    tenant: TenantContext,
    requests: unknown[],
    style: 'openai' | 'native' = 'native',
  ) => {
    if (requests.length === 0 || requests.length > maxItems) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        `A batch holds 1 to ${maxItems} requests; this one has ${requests.length}.`,
        {
          param: 'requests',
        },
      );
    }
    const items: BatchItem[] = [];
    for (const [index, request] of requests.entries()) {
      items.push(await submitItem(tenant, request, index, style));
    }
    const record: BatchRecord = {
      id: `batch_${randomBytes(16).toString('hex')}`,
      tenantId: tenant.tenantId,
      createdAt: new Date().toISOString(),
      items,
    };
    await options.redis.set(key(record.id), JSON.stringify(record), 'EX', retention);
    return view(tenant, record);
  };

  const submitItem = async (
    tenant: TenantContext,
    request: unknown,
    index: number,
    style: 'openai' | 'native',
  ): Promise<BatchItem> => {
    try {
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `requests[${index}] must be a JSON object (a generation request).`,
          {
            param: `requests[${index}]`,
          },
        );
      }
      const job = await options.jobs.submit(tenant, request as Record<string, unknown>, {
        style,
        source: 'batch',
      });
      return { index, jobId: job.id };
    } catch (thrown) {
      const error = toGatewayError(thrown);
      return { index, error: { code: error.code, message: error.message, param: error.param ?? null } };
    }
  };

  const get = async (tenant: TenantContext, id: string) => {
    if (!/^batch_[0-9a-f]{32}$/.test(id)) return undefined;
    const text = await options.redis.get(key(id));
    if (!text) return undefined;
    const record = JSON.parse(text) as BatchRecord;
    return record.tenantId === tenant.tenantId ? view(tenant, record) : undefined;
  };

  const view = async (tenant: TenantContext, record: BatchRecord) => {
    const items: BatchItemView[] = await Promise.all(
      record.items.map(async (item): Promise<BatchItemView> => {
        if (!item.jobId)
          return { index: item.index, status: 'failed', ...(item.error ? { error: item.error } : {}) };
        const job = await options.jobs.get(tenant, item.jobId);
        return {
          index: item.index,
          job_id: item.jobId,
          status: job?.status ?? 'failed',
          ...(job?.error ? { error: job.error } : {}),
          ...(job?.result ? { result: job.result } : {}),
        };
      }),
    );
    const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const item of items) counts[item.status]++;
    const finished = counts.queued === 0 && counts.running === 0;
    if (finished && !record.resultsKey) {
      record.resultsKey = `batches/${record.id}/results.jsonl`;
      const lines = items.map((item) => JSON.stringify(item)).join('\n');
      await options.gateway.storage.put(record.resultsKey, new TextEncoder().encode(`${lines}\n`), {
        mediaType: 'application/x-ndjson',
      });
      await options.redis.set(key(record.id), JSON.stringify(record), 'EX', retention);
    }
    return {
      id: record.id,
      object: 'image.batch',
      status: finished
        ? counts.failed + counts.cancelled > 0
          ? 'completed_with_failures'
          : 'completed'
        : 'in_progress',
      created_at: record.createdAt,
      counts,
      items: items.map(({ result: _result, ...rest }) => rest),
      ...(record.resultsKey ? { results_storage_key: record.resultsKey } : {}),
    };
  };

  /** The results JSONL of a finished batch, streamed from storage. */
  const results = async (tenant: TenantContext, id: string) => {
    const batch = await get(tenant, id);
    if (!batch?.results_storage_key) return undefined;
    return options.gateway.storage.get(batch.results_storage_key);
  };

  return { submit, get, results, maxItems };
}

/** A batch service, as {@link createBatchService} returns it. */
export type BatchService = ReturnType<typeof createBatchService>;

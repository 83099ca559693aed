import {
  BackendError,
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  createMemoryBudgetStore,
  createMemoryStorage,
} from '@pixelgate/core';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';
import { createBatchService } from './batch-service.ts';
import { createJobService, type JobService } from './job-service.ts';
import { createJobsHandler } from './jobs-handler.ts';

const KEY = 'pg-batch-tenant-0123456789';

describe.skipIf(!REDIS_URL)('batches on the real Redis', () => {
  let testRedis: TestRedis | undefined;
  const services: JobService[] = [];
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.close()));
    for (const close of closers.splice(0)) await close();
    await testRedis?.cleanup();
  });

  it('runs 200 requests on two workers with 10 % upstream failures: each item reported, only successes spent', async () => {
    testRedis = connectTestRedis();
    const budgets = createMemoryBudgetStore();
    const storage = createMemoryStorage();
    const rules = [{ scope: 'tenant' as const, period: 'month' as const, limitUsd: 1000 }];
    const authenticate = createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY, tenantId: 'studio' }] });
    // Two gateways, each with its own worker, sharing the budget store and storage as replicas share Redis and S3.
    const replicas = [0, 1].map(() => {
      const provider = createMockImageProvider({
        models: [MOCK_MODEL],
        async generate(call) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          if (call.prompt.endsWith('#fail')) {
            throw new BackendError('upstream refused', { reason: 'upstream_unavailable', retryable: false });
          }
          return { images: [{ bytes: solidPng(256, 256), mediaType: 'image/png' }] };
        },
      });
      const gateway = createGateway({
        providers: [provider],
        budgetStore: budgets,
        storageAdapter: storage,
        budgets: { rules },
      });
      closers.push(() => gateway.close());
      const jobs = createJobService({
        gateway,
        redisUrl: REDIS_URL!,
        prefix: testRedis!.prefix,
        concurrency: 8,
      });
      services.push(jobs);
      return { gateway, jobs, provider };
    });
    await Promise.all(replicas.map((replica) => replica.jobs.startWorkers()));
    const redis = new Redis(REDIS_URL!);
    closers.push(() => redis.disconnect());
    const [front] = replicas;
    const batches = createBatchService({
      gateway: front!.gateway,
      jobs: front!.jobs,
      redis,
      prefix: testRedis.prefix,
    });
    const routes = createJobsHandler({ jobs: front!.jobs, batches, authenticate });
    const api = createHttpHandler(front!.gateway, { authenticate });
    const handler = async (request: Request) => (await routes(request)) ?? api(request);

    const requests = Array.from({ length: 200 }, (_, index) =>
      index === 7
        ? { model: 'mock/mock-image', prompt: 'bad size', size: '3x3' }
        : { model: 'mock/mock-image', prompt: `item ${index}${index % 10 === 0 ? ' #fail' : ''}` },
    );
    const accepted = await handler(
      new Request('http://gateway.test/v1/inference/images/batches', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
        body: requests.map((request) => JSON.stringify(request)).join('\n'),
      }),
    );
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    type BatchView = {
      status: string;
      counts: Record<string, number>;
      items: Array<{ index: number; status: string; error?: { code: string; param: string | null } }>;
      results_storage_key?: string;
    };
    let batch: BatchView | undefined;
    for (let poll = 0; poll < 600; poll++) {
      const response = await handler(
        new Request(`http://gateway.test/v1/inference/images/batches/${id}`, {
          headers: { authorization: `Bearer ${KEY}` },
        }),
      );
      batch = (await response.json()) as BatchView;
      if (batch.status !== 'in_progress') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(batch!.status).toBe('completed_with_failures');
    expect(
      batch!.counts,
      JSON.stringify(batch!.items.filter((item) => item.status === 'failed').slice(0, 3)),
    ).toMatchObject({ succeeded: 179, failed: 21 });
    for (const item of batch!.items) {
      const shouldFail = item.index % 10 === 0 || item.index === 7;
      expect(item.status, `item ${item.index}`).toBe(shouldFail ? 'failed' : 'succeeded');
    }
    expect(batch!.items[7]!.error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'size' });
    expect(batch!.items[10]!.error).toMatchObject({ code: 'BACKEND_ERROR' });
    // Both workers took part, and only the successful items were spent.
    expect(replicas.every((replica) => replica.provider.calls.length > 0)).toBe(true);
    const bucket = budgetBuckets(front!.gateway.config.budgets.rules, { tenantId: 'studio' }, Date.now())[0]!;
    expect(await budgets.used(bucket.key)).toBeCloseTo(179 * 0.04, 6);
    const results = await handler(
      new Request(`http://gateway.test/v1/inference/images/batches/${id}/results`, {
        headers: { authorization: `Bearer ${KEY}` },
      }),
    );
    const lines = (await results.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; status: string });
    expect(lines.map((line) => line.index)).toEqual(requests.map((_, index) => index));
  }, 120_000);
});

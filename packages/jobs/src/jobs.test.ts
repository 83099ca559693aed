import { createBlocklistGuardrail, createMemoryBudgetStore } from '@pixelgate/core';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSlowProvider,
  type JobsFixture,
  KEY_A,
  KEY_B,
  startJobsFixture,
  waitForJob,
} from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';

describe.skipIf(!REDIS_URL)('image jobs on the real Redis', () => {
  let testRedis: TestRedis;
  let fixture: JobsFixture | undefined;
  beforeEach(() => {
    testRedis = connectTestRedis();
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    await testRedis.cleanup();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}, key = KEY_A) =>
    fixture!.handler(
      new Request(`http://gateway.test${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    );

  it('accepts a job with 202 and a Location, runs it, and keeps the result in the route shape', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({ redisUrl: REDIS_URL!, prefix: testRedis.prefix, provider });
    const accepted = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'a harbour',
      n: 2,
    });
    expect(accepted.status).toBe(202);
    const job = (await accepted.json()) as { id: string; status: string };
    expect(job.id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(job.status).toBe('queued');
    expect(accepted.headers.get('location')).toBe(`/v1/inference/images/jobs/${job.id}`);
    const done = (await waitForJob(fixture.handler, job.id, ['succeeded', 'failed'])) as {
      status: string;
      result: { data: Array<{ b64_json: string }>; model: string };
      events: Array<{ type: string }>;
    };
    expect(done.status).toBe('succeeded');
    expect(done.result.data).toHaveLength(2);
    expect(done.result.model).toBe('mock/mock-image');
    expect(done.events.map((event) => event.type)).toEqual(['job.queued', 'job.started', 'job.completed']);
    expect(fixture.audit.records.filter((record) => record.requestId === job.id)).toHaveLength(1);
  });

  it('answers Prefer: respond-async on the OpenAI route with a job in the OpenAI shape', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({ redisUrl: REDIS_URL!, prefix: testRedis.prefix, provider });
    const accepted = await post(
      '/v1/images/generations',
      { model: 'mock', prompt: 'a lamp' },
      { prefer: 'respond-async' },
    );
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const done = (await waitForJob(fixture.handler, id, ['succeeded'])) as {
      result: Record<string, unknown>;
    };
    expect(Object.keys(done.result).sort()).toEqual(['created', 'data']);
    const sync = await post('/v1/images/generations', { model: 'mock', prompt: 'a lamp' });
    expect(sync.status).toBe(200);
  });

  it('refuses a bad request before the 202, with its audit record and no job', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({ redisUrl: REDIS_URL!, prefix: testRedis.prefix, provider });
    const refused = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'x',
      size: '7x7',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('size');
    expect(fixture.audit.records).toHaveLength(1);
    expect(fixture.audit.records[0]!.outcome).toBe('rejected');
    expect(await fixture.jobs.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
    const webhook = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'x',
      webhook_url: 'https://example.test/hook',
    });
    expect(webhook.status).toBe(400);
    expect(((await webhook.json()) as { error: { param: string } }).error.param).toBe('webhook_url');
  });

  it('hides one tenant’s job from another with the same 404 as a missing one', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({ redisUrl: REDIS_URL!, prefix: testRedis.prefix, provider });
    const { id } = (await (
      await post('/v1/inference/images/jobs', { model: 'mock/mock-image', prompt: 'mine' })
    ).json()) as { id: string };
    const get = (jobId: string, key: string) =>
      fixture!.handler(
        new Request(`http://gateway.test/v1/inference/images/jobs/${jobId}`, {
          headers: { authorization: `Bearer ${key}` },
        }),
      );
    const other = await get(id, KEY_B);
    const missing = await get(`job_${'0'.repeat(32)}`, KEY_B);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe(await missing.text());
    expect((await get(id, KEY_A)).status).toBe(200);
  });

  it('cancels a running job: the provider call is aborted and the job says cancelled, with one audit record', async () => {
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = createSlowProvider({ hold });
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider: slow.provider,
    });
    const cancelledEvents: string[] = [];
    fixture.gateway.events.on('job-cancelled', (event) => cancelledEvents.push(event.jobId));
    const { id } = (await (
      await post('/v1/inference/images/jobs', { model: 'mock/mock-image', prompt: 'stop me' })
    ).json()) as { id: string };
    await waitForJob(fixture.handler, id, ['running']);
    const cancelled = await fixture.handler(
      new Request(`http://gateway.test/v1/inference/images/jobs/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${KEY_A}` },
      }),
    );
    expect(cancelled.status).toBe(200);
    const done = (await waitForJob(fixture.handler, id, ['cancelled', 'failed', 'succeeded'])) as {
      status: string;
      error: { code: string };
    };
    release();
    expect(done.status).toBe('cancelled');
    expect(slow.aborted).toEqual(['stop me']);
    expect(cancelledEvents).toEqual([id]);
    expect(fixture.audit.records.filter((record) => record.requestId === id)).toHaveLength(1);
  });

  it('reserves the price before the 202: a job over budget is refused with its audit record, a queued one holds its price, a finished one is spent once', async () => {
    const budgetStore = createMemoryBudgetStore();
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
      gateway: { budgetStore, budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 0.1 }] } },
    });
    const bucket = budgetBuckets(
      fixture.gateway.config.budgets.rules,
      { tenantId: 'tenant-a' },
      Date.now(),
    )[0]!;
    const accepted = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'two',
      n: 2,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    // Queued, with no worker running: its price is held.
    expect(await budgetStore.used(bucket.key)).toBeCloseTo(0.08, 6);
    const refused = await post('/v1/inference/images/jobs', { model: 'mock/mock-image', prompt: 'one more' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('BUDGET_EXCEEDED');
    expect(fixture.audit.records).toHaveLength(1);
    expect(fixture.audit.records[0]!.error?.code).toBe('BUDGET_EXCEEDED');
    expect(await fixture.jobs.queue.getJobCounts()).toMatchObject({ waiting: 1 });
    await fixture.jobs.startWorkers();
    expect((await waitForJob(fixture.handler, id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(await budgetStore.used(bucket.key)).toBeCloseTo(0.08, 6);
    expect(fixture.audit.records.filter((record) => record.requestId === id)).toHaveLength(1);
  });

  it('runs the input guardrails before the 202: a blocked prompt is refused with one audit record and no job, and a clean one passes', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
      gateway: { guardrails: [createBlocklistGuardrail({ terms: ['forbidden lighthouse'] })] },
    });
    const refused = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'a forbidden lighthouse at dusk',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('CONTENT_BLOCKED');
    expect(fixture.audit.records).toHaveLength(1);
    expect(fixture.audit.records[0]!.error?.code).toBe('CONTENT_BLOCKED');
    expect(await fixture.jobs.queue.getJobCounts()).toMatchObject({ waiting: 0 });
    const accepted = await post('/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'a lighthouse',
    });
    expect(accepted.status).toBe(202);
    // A passed preflight writes nothing: the job's run writes its one record.
    expect(fixture.audit.records).toHaveLength(1);
    expect(await fixture.jobs.queue.getJobCounts()).toMatchObject({ waiting: 1 });
  });

  it('audits every refused submission once, including those refused before the body is read', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
    });
    const raw = (body: string, headers: Record<string, string>) =>
      fixture!.handler(
        new Request('http://gateway.test/v1/inference/images/jobs', { method: 'POST', headers, body }),
      );
    const answers = [
      await post(
        '/v1/inference/images/jobs',
        { model: 'mock/mock-image', prompt: 'x' },
        {},
        'pg-not-a-key-0123456789',
      ),
      await raw('{"model":', { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }),
      await raw('model=x', { authorization: `Bearer ${KEY_A}`, 'content-type': 'text/plain' }),
      await post('/v1/inference/images/jobs', { model: 'mock/mock-image', prompt: 'x', webhook_url: 42 }),
      await post('/v1/inference/images/jobs', {
        model: 'mock/mock-image',
        prompt: 'x',
        webhook_url: 'https://hooks.example/ok',
      }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([401, 400, 415, 400, 400]);
    expect(fixture.audit.records.map((record) => record.error?.code)).toEqual([
      'AUTHENTICATION_ERROR',
      'VALIDATION_ERROR',
      'VALIDATION_ERROR',
      'VALIDATION_ERROR',
      'VALIDATION_ERROR',
    ]);
    expect(await fixture.jobs.queue.getJobCounts()).toMatchObject({ waiting: 0 });
  });

  it('reports a job through typed gateway events: queued, started, progress, succeeded', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({ redisUrl: REDIS_URL!, prefix: testRedis.prefix, provider });
    const seen: Array<{ name: string; jobId: string; images?: number }> = [];
    for (const name of ['job-queued', 'job-started', 'job-progress', 'job-succeeded', 'job-failed'] as const)
      fixture.gateway.events.on(name, (event) => seen.push({ name, ...event }));
    const { id } = (await (
      await post('/v1/inference/images/jobs', { model: 'mock/mock-image', prompt: 'watched', n: 2 })
    ).json()) as { id: string };
    await waitForJob(fixture.handler, id, ['succeeded', 'failed']);
    expect(seen.map((event) => event.name)).toEqual([
      'job-queued',
      'job-started',
      'job-progress',
      'job-succeeded',
    ]);
    expect(seen.every((event) => event.jobId === id)).toBe(true);
    expect(seen[2]!.images).toBe(2);
    expect(seen[3]!.images).toBe(2);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { jobResumeMiddleware } from '../src/index.ts';
import {
  createSlowProvider,
  type JobsFixture,
  KEY_A,
  startJobsFixture,
  waitForJob,
} from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';

/** Starts the worker child and resolves once it says it is ready (never on a timer). */
async function startWorkerChild(redisUrl: string, prefix: string, mode = 'hang'): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@pixelgate/source',
      join(import.meta.dirname, '..', 'test', 'worker-child.ts'),
      redisUrl,
      prefix,
      mode,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // tsx reads decorator settings from the workspace's base config (core uses parameter decorators).
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(import.meta.dirname, '..', '..', '..', 'tsconfig.base.json'),
      },
    },
  );
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    if (output.includes('ready')) return child;
  }
  throw new Error(`the worker child exited before it was ready: ${output}`);
}

describe.skipIf(!REDIS_URL)('a job survives the SIGKILL of its worker', () => {
  let testRedis: TestRedis | undefined;
  let fixture: JobsFixture | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await fixture?.close();
    await testRedis?.cleanup();
  });

  it('is picked up by another worker after the lock expires and finishes once, with one audit record', {
    timeout: 90_000,
  }, async () => {
    testRedis = connectTestRedis();
    child = await startWorkerChild(REDIS_URL!, testRedis.prefix);
    // This process accepts jobs but runs no worker until the child is dead.
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
    });
    const accepted = await fixture.handler(
      new Request('http://gateway.test/v1/inference/images/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-image', prompt: 'survive' }),
      }),
    );
    const { id } = (await accepted.json()) as { id: string };
    await waitForJob(fixture.handler, id, ['running']);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await fixture.jobs.startWorkers();
    const done = (await waitForJob(fixture.handler, id, ['succeeded', 'failed'])) as {
      status: string;
      result: { data: unknown[] };
    };
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result?.data, JSON.stringify(done)).toHaveLength(1);
    expect(provider.calls).toHaveLength(1);
    expect(fixture.audit.records.filter((record) => record.requestId === id)).toHaveLength(1);
  });

  it('resumes the upstream job the killed worker submitted instead of submitting again', {
    timeout: 90_000,
  }, async () => {
    testRedis = connectTestRedis();
    child = await startWorkerChild(REDIS_URL!, testRedis.prefix, 'resumable');
    const resumed: Array<{ id: string; pollingUrl: string | undefined; prompt: string }> = [];
    const provider = createMockImageProvider({
      models: [MOCK_MODEL],
      async generate() {
        throw new Error('a resumable job must not be submitted again');
      },
    });
    provider.resume = async (upstream, call) => {
      resumed.push({ id: upstream.id, pollingUrl: upstream.data?.pollingUrl, prompt: call.prompt });
      return { images: [{ bytes: solidPng(256, 256), mediaType: 'image/png' }] };
    };
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
      gateway: { middleware: [jobResumeMiddleware] },
    });
    const accepted = await fixture.handler(
      new Request('http://gateway.test/v1/inference/images/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-image', prompt: 'resume me' }),
      }),
    );
    const { id } = (await accepted.json()) as { id: string };
    // Wait until the child's provider call reported its upstream job and the job's data holds it.
    let saved: unknown[] = [];
    for (let poll = 0; poll < 400 && saved.length === 0; poll++) {
      saved = (await fixture.jobs.queue.getJob(id))?.data.upstream ?? [];
      if (saved.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(saved).toEqual([
      {
        provider: 'mock',
        model: 'mock-image',
        callIndex: 0,
        upstream: { id: 'up-resume me', data: { pollingUrl: 'https://upstream.test/poll' } },
      },
    ]);
    const attempts: number[] = [];
    fixture.gateway.events.on('job-started', (event) => attempts.push(event.attempt));
    child.kill('SIGKILL');
    await once(child, 'exit');
    await fixture.jobs.startWorkers();
    const done = (await waitForJob(fixture.handler, id, ['succeeded', 'failed'])) as { status: string };
    expect(attempts).toEqual([2]);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(resumed).toEqual([
      { id: 'up-resume me', pollingUrl: 'https://upstream.test/poll', prompt: 'resume me' },
    ]);
    expect(provider.calls).toHaveLength(0);
    expect(fixture.audit.records.filter((record) => record.requestId === id)).toHaveLength(1);
  });
});

import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobsFixture, KEY_A, startJobsFixture, waitForJob } from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';
import { jobProviderConcurrency } from './job-provider-concurrency.ts';
import { jobResumeMiddleware } from './job-resume.ts';

describe.skipIf(!REDIS_URL)('jobProviderConcurrency', () => {
  let testRedis: TestRedis;
  let fixture: JobsFixture | undefined;
  beforeEach(async () => {
    testRedis = await connectTestRedis();
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    await testRedis.cleanup();
  });

  it('runs one provider call of jobs at a time under a limit of 1, in order, and leaves synchronous calls alone', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const provider = createMockImageProvider({
      models: [MOCK_MODEL],
      async generate(call) {
        running += 1;
        most = Math.max(most, running);
        started.push(call.prompt);
        if (call.prompt !== 'sync') await gate;
        running -= 1;
        return { images: [{ bytes: solidPng(256, 256), mediaType: 'image/png' }] };
      },
    });
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      gateway: { middleware: [jobResumeMiddleware, jobProviderConcurrency({ mock: 1 })] },
    });
    const submit = async (prompt: string) => {
      const response = await fixture!.handler(
        new Request('http://gateway.test/v1/inference/images/jobs', {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'mock/mock-image', prompt }),
        }),
      );
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    };
    const ids = [await submit('job 1'), await submit('job 2'), await submit('job 3')];
    // Every job is taken by a worker (the service runs 4 at once) before anything is released.
    for (const id of ids) await waitForJob(fixture.handler, id, ['running']);
    expect(started).toEqual(['job 1']);
    // A synchronous request is not a job: it reaches the provider beside the held job call.
    const sync = await fixture.gateway
      .generate({ model: 'mock/mock-image', prompt: 'sync' })
      .finally(() => release());
    expect(sync.data).toHaveLength(1);
    for (const id of ids)
      expect((await waitForJob(fixture.handler, id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(started.slice(0, 2)).toEqual(['job 1', 'sync']);
    expect(started.slice(2).sort()).toEqual(['job 2', 'job 3']);
    expect(most).toBe(2);
  });
});

import { createContractChecker } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlowProvider, type JobsFixture, KEY_A, startJobsFixture } from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';

describe.skipIf(!REDIS_URL)('the job routes in the OpenAPI document', () => {
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

  it('documents POST, GET and DELETE of jobs, and real answers match the document', async () => {
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      workers: false,
    });
    const call = (method: string, path: string, body?: unknown) =>
      fixture!.handler(
        new Request(`http://gateway.test${path}`, {
          method,
          headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    const document = (await (await call('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(document.paths['/v1/inference/images/jobs'] ?? {})).toEqual(['post']);
    expect(Object.keys(document.paths['/v1/inference/images/jobs/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
    ]);
    const check = createContractChecker(document);
    const accepted = await call('POST', '/v1/inference/images/jobs', {
      model: 'mock/mock-image',
      prompt: 'a lighthouse',
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.clone().json()) as { id: string };
    const answers: Array<[string, string, Response]> = [
      ['POST', '/v1/inference/images/jobs', accepted],
      [
        'POST',
        '/v1/inference/images/jobs',
        await call('POST', '/v1/inference/images/jobs', { prompt: 'x', colour: 1 }),
      ],
      ['GET', `/v1/inference/images/jobs/${id}`, await call('GET', `/v1/inference/images/jobs/${id}`)],
      [
        'GET',
        '/v1/inference/images/jobs/job_missing',
        await call('GET', '/v1/inference/images/jobs/job_missing'),
      ],
      ['DELETE', `/v1/inference/images/jobs/${id}`, await call('DELETE', `/v1/inference/images/jobs/${id}`)],
    ];
    expect(answers.map(([, , response]) => response.status)).toEqual([202, 400, 200, 404, 200]);
    for (const [method, path, response] of answers)
      expect((await check(method, path, response)).problems, `${method} ${path}`).toEqual([]);
  });
});

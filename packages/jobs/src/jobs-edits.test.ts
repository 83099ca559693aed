import { createMockImageProvider, MOCK_EDIT_MODEL, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobsFixture, KEY_A, startJobsFixture, waitForJob } from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';

const pngDataUrl = (width: number, height: number) =>
  `data:image/png;base64,${Buffer.from(solidPng(width, height)).toString('base64')}`;

interface JobResponse {
  id: string;
  status: string;
  error?: { code: string; param: string | null; message: string };
}

describe.skipIf(!REDIS_URL)('edit jobs and streamed jobs on the real Redis', () => {
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

  const start = async (maxBodyBytes?: number) => {
    const provider = createMockImageProvider({ models: [MOCK_MODEL, MOCK_EDIT_MODEL] });
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    });
    return provider;
  };
  const post = (body: unknown) =>
    fixture!.handler(
      new Request('http://gateway.test/v1/inference/images/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  const noJobs = async () =>
    expect(await fixture!.jobs.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0 });
  const error = async (response: Response) =>
    ((await response.json()) as { error: { code: string; param: string | null; message: string } }).error;

  it('accepts an edit job with its images as data URLs, runs gateway.edit and answers in the generation shape, with one audit record', async () => {
    const provider = await start();
    const accepted = await post({
      operation: 'edit',
      model: 'mock/mock-edit',
      prompt: 'add a red door',
      image: [pngDataUrl(64, 64), pngDataUrl(32, 32)],
      n: 2,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as JobResponse;
    const done = (await waitForJob(fixture!.handler, id, ['succeeded', 'failed'])) as {
      status: string;
      result: { data: Array<{ b64_json: string }>; model: string; request_id: string };
    };
    expect(done.status).toBe('succeeded');
    expect(done.result.data).toHaveLength(2);
    expect(done.result.model).toBe('mock/mock-edit');
    expect(done.result.request_id).toBe(id);
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]!.call.operation).toBe('edit');
    expect(provider.calls[0]!.call.images?.map((image) => image.width)).toEqual([64, 32]);
    const records = fixture!.audit.records.filter((record) => record.requestId === id);
    expect(records).toHaveLength(1);
    expect(records[0]!.operation).toBe('edit');
    expect(records[0]!.outcome).toBe('success');
    expect(JSON.stringify(records[0])).not.toContain('base64');
  });

  it('refuses an edit job whose image is not an image before the 202: 400 naming image, as do 17 images and more than the model takes; one audit record each, no job', async () => {
    const provider = await start();
    const refused = await post({
      operation: 'edit',
      model: 'mock/mock-edit',
      prompt: 'x',
      image: `data:text/plain;base64,${Buffer.from('not an image at all').toString('base64')}`,
    });
    expect(refused.status).toBe(400);
    const body = await error(refused);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.param).toMatch(/^image/);
    expect(fixture!.audit.records).toHaveLength(1);
    expect(fixture!.audit.records[0]!.outcome).toBe('rejected');
    const seventeen = await post({
      operation: 'edit',
      model: 'mock/mock-edit',
      prompt: 'x',
      image: Array.from({ length: 17 }, () => pngDataUrl(8, 8)),
    });
    expect(seventeen.status).toBe(400);
    expect((await error(seventeen)).param).toMatch(/^image/);
    const five = await post({
      operation: 'edit',
      model: 'mock/mock-edit',
      prompt: 'x',
      image: Array.from({ length: 5 }, () => pngDataUrl(8, 8)),
    });
    expect(five.status).toBe(400);
    expect((await error(five)).param).toMatch(/^image/);
    expect(fixture!.audit.records).toHaveLength(3);
    expect(fixture!.audit.records.every((record) => record.outcome === 'rejected')).toBe(true);
    expect(provider.calls).toHaveLength(0);
    await noJobs();
  });

  it('refuses an edit job on a model that does not edit, and an unknown operation, each with one audit record', async () => {
    await start();
    const notEditing = await post({
      operation: 'edit',
      model: 'mock/mock-image',
      prompt: 'x',
      image: pngDataUrl(16, 16),
    });
    expect(notEditing.status).toBe(400);
    const unknown = await post({ operation: 'upscale', model: 'mock/mock-image', prompt: 'x' });
    expect(unknown.status).toBe(400);
    const body = await error(unknown);
    expect(body.param).toBe('operation');
    expect(body.message).toContain("'edit'");
    expect(fixture!.audit.records).toHaveLength(2);
    await noJobs();
  });

  it('refuses a job body over the limit with a 413, one audit record and no job', async () => {
    await start(8 * 1024);
    const tooLarge = await post({
      operation: 'edit',
      model: 'mock/mock-edit',
      prompt: 'x',
      image: `data:image/png;base64,${Buffer.alloc(16 * 1024, 7).toString('base64')}`,
    });
    expect(tooLarge.status).toBe(413);
    const body = await error(tooLarge);
    expect(body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.message).toContain('8192 bytes');
    expect(body.message).toContain('Redis');
    expect(fixture!.audit.records).toHaveLength(1);
    expect(fixture!.audit.records[0]!.error?.code).toBe('PAYLOAD_TOO_LARGE');
    await noJobs();
    // A body under the limit still passes.
    expect((await post({ model: 'mock/mock-image', prompt: 'small' })).status).toBe(202);
  });

  it('checks the limit in the service too, for callers other than the HTTP route', async () => {
    await start(4 * 1024);
    const submitted = fixture!.jobs.submit(
      { tenantId: 'tenant-a' },
      { model: 'mock/mock-image', prompt: 'x'.repeat(5000) },
      { style: 'native' },
    );
    await expect(submitted).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(fixture!.audit.records).toHaveLength(1);
    await noJobs();
  });

  it('reports each partial image of a streamed job as a typed event and a progress entry, in order, never with the image', async () => {
    await start();
    const seen: Array<Record<string, unknown>> = [];
    fixture!.gateway.events.on('job-partial-image', (event) => seen.push({ ...event }));
    const accepted = await post({
      model: 'mock/mock-edit',
      prompt: 'a slow sunrise',
      n: 2,
      stream: true,
      partial_images: 2,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as JobResponse;
    const done = (await waitForJob(fixture!.handler, id, ['succeeded', 'failed'])) as {
      status: string;
      events: Array<{
        type: string;
        image_index?: number;
        partial_image_index?: number;
        media_type?: string;
      }>;
      result: { data: unknown[] };
    };
    expect(done.status).toBe('succeeded');
    expect(done.result.data).toHaveLength(2);
    const order = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    expect(seen.map((event) => [event.imageIndex, event.partialImageIndex])).toEqual(order);
    expect(seen.every((event) => event.jobId === id && event.mediaType === 'image/png')).toBe(true);
    expect(Object.keys(seen[0]!).sort()).toEqual(
      ['imageIndex', 'jobId', 'mediaType', 'partialImageIndex', 'requestId', 'tenantId'].sort(),
    );
    expect(done.events.map((event) => event.type)).toEqual([
      'job.queued',
      'job.started',
      'job.partial_image',
      'job.partial_image',
      'job.partial_image',
      'job.partial_image',
      'job.completed',
    ]);
    const partials = done.events.filter((event) => event.type === 'job.partial_image');
    expect(partials.map((event) => [event.image_index, event.partial_image_index])).toEqual(order);
    expect(partials.every((event) => event.media_type === 'image/png')).toBe(true);
    const records = fixture!.audit.records.filter((record) => record.requestId === id);
    expect(records).toHaveLength(1);
    expect(records[0]!.stream?.partialImagesSent).toBe(4);
  });
});

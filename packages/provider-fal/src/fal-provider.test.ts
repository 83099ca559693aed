import { createGateway } from '@pixelgate/core';
import { BackendError, sniffImage, type UpstreamJob } from '@pixelgate/core/provider-utils';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFor, providerFor, TEST_KEY } from './fal.test-helpers.ts';
import { FAL_NSFW_LABEL } from './fal-output.ts';
import { type FakeFalServer, startFakeFalServer } from './testing/index.ts';

let server: FakeFalServer;
beforeEach(async () => {
  server = await startFakeFalServer();
});
afterEach(async () => {
  await server.close();
});

const on = (which: 'queue' | 'sync' | 'cdn') => server.requests.filter((request) => request.server === which);
const statusPolls = () => on('queue').filter((request) => request.url.endsWith('/status'));
const reasonOf = (error: unknown) => (BackendError.isBackendError(error) ? error.reason : undefined);

/** Resolves once a request matching `test` has arrived (a readiness signal, not a sleep). */
async function arrived(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('fal queue', () => {
  it('submits, polls, fetches the result with the key, and downloads images without it', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'fal-ai/flux/dev', {
      n: 2,
      size: '1024x576',
      seed: 9,
      outputFormat: 'jpeg',
      providerOptions: { num_inference_steps: 20 },
    });
    const result = await provider.generate(call, testCallContext());
    expect(result.images.map((image) => sniffImage(image.bytes))).toEqual([
      { mediaType: 'image/jpeg', width: 1024, height: 576 },
      { mediaType: 'image/jpeg', width: 1024, height: 576 },
    ]);
    expect(result.images.map((image) => image.seed)).toEqual([9, 10]);
    const submit = on('queue')[0]!;
    expect(submit.url).toBe('/fal-ai/flux/dev');
    expect(submit.body).toEqual({
      prompt: 'a lighthouse at dusk',
      image_size: 'landscape_16_9',
      num_images: 2,
      output_format: 'jpeg',
      seed: 9,
      num_inference_steps: 20,
    });
    for (const request of on('queue')) expect(request.headers.authorization).toBe(`Key ${TEST_KEY}`);
    expect(statusPolls().length).toBeGreaterThanOrEqual(1);
    expect(on('cdn')).toHaveLength(2);
    for (const request of on('cdn')) expect(JSON.stringify(request.headers)).not.toContain(TEST_KEY);
    expect(result.response?.upstreamRequestId).toBe([...server.runs.keys()][0]);
  });

  it('sends a custom size as { width, height } and safety_tolerance as a string', async () => {
    const provider = providerFor(server);
    await provider.generate(callFor(provider, 'fal-ai/flux/dev', { size: '1152x896' }), testCallContext());
    expect(on('queue')[0]!.body?.image_size).toEqual({ width: 1152, height: 896 });
    await provider.generate(
      callFor(provider, 'fal-ai/flux-pro/v1.1-ultra', {
        providerOptions: { safety_tolerance: 2, raw: true },
      }),
      testCallContext(),
    );
    expect(on('queue').filter((request) => request.method === 'POST')[1]!.body).toMatchObject({
      aspect_ratio: '1:1',
      safety_tolerance: '2',
      raw: true,
    });
  });

  it('sends style and negative_prompt where the model takes them', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'fal-ai/ideogram/v3', {
      style: 'DESIGN',
      negativePrompt: 'text',
      providerOptions: { rendering_speed: 'TURBO' },
    });
    await provider.generate(call, testCallContext());
    expect(on('queue')[0]!.body).toMatchObject({
      style: 'DESIGN',
      negative_prompt: 'text',
      rendering_speed: 'TURBO',
    });
    expect(on('queue')[0]!.body).not.toHaveProperty('output_format');
  });

  it('refuses an option the model does not take before any request', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(
        callFor(provider, 'fal-ai/flux/dev', { providerOptions: { raw: true } }),
        testCallContext(),
      ),
    );
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('provider_options.fal.raw');
    expect(server.requests).toHaveLength(0);
  });

  it('cancels the queued request when the caller aborts mid-poll', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const provider = providerFor(server);
    const controller = new AbortController();
    const pending = provider.generate(
      callFor(provider, 'fal-ai/flux/dev'),
      testCallContext({ signal: controller.signal }),
    );
    await arrived(() => statusPolls().length >= 2);
    controller.abort();
    expect((await gatewayErrorOf(pending)).code).toBe('ABORTED');
    await arrived(() => on('queue').some((request) => request.method === 'PUT' && request.status === 202));
    const cancel = on('queue').find((request) => request.method === 'PUT')!;
    expect(cancel.url).toMatch(/^\/fal-ai\/flux\/requests\/[\w-]+\/cancel$/);
    expect([...server.runs.values()][0]!.cancelled).toBe(true);
  });

  it('cancels at the deadline too (TIMEOUT)', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const provider = providerFor(server);
    // The deadline passes once the request is queued and polled (a readiness signal, not a timer).
    const deadline = new AbortController();
    const pending = gatewayErrorOf(
      provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext({ signal: deadline.signal })),
    );
    await arrived(() => statusPolls().length >= 1);
    deadline.abort(new DOMException('The request deadline passed.', 'TimeoutError'));
    const error = await pending;
    expect(error.code).toBe('TIMEOUT');
    await arrived(() => on('queue').some((request) => request.method === 'PUT'));
  });

  it('waits out 429s on the status URL instead of submitting again', async () => {
    server.enqueue({ type: 'poll_rate_limited', count: 2 });
    const provider = providerFor(server);
    const result = await provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext());
    expect(result.images).toHaveLength(1);
    expect(on('queue').filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(statusPolls().filter((request) => request.status === 429)).toHaveLength(2);
  });

  it.each([
    ['foreign_status_host', 'queue.example.com'],
    ['foreign_result_host', 'cdn.example.net'],
  ] as const)('refuses %s without requesting it', async (scenario, host) => {
    server.enqueue(scenario);
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext()),
    );
    expect(reasonOf(error)).toBe('malformed_response');
    expect(error.message).toContain(host);
  });

  it('maps a failed run, an unknown status and an expired image URL', async () => {
    const provider = providerFor(server);
    server.enqueue('result_error');
    expect(
      reasonOf(
        await gatewayErrorOf(provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext())),
      ),
    ).toBe('upstream_unavailable');
    server.enqueue('unknown_status');
    expect(
      reasonOf(
        await gatewayErrorOf(provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext())),
      ),
    ).toBe('malformed_response');
    server.enqueue('expired_result');
    const expired = await gatewayErrorOf(
      provider.generate(callFor(provider, 'fal-ai/flux/dev'), testCallContext()),
    );
    expect(reasonOf(expired)).toBe('upstream_unavailable');
    expect(expired.message).toMatch(/expire/);
  });

  it('maps a content_policy_violation to content_filtered and never retries it', async () => {
    server.enqueue('content_policy');
    const gateway = createGateway({ providers: [providerFor(server)], guardrails: [] });
    const error = await gatewayErrorOf(gateway.generate({ model: 'fal/fal-ai/flux/dev', prompt: 'x' }));
    expect(error.details).toMatchObject({
      reason: 'content_filtered',
      upstream_code: 'content_policy_violation',
    });
    expect(on('queue').filter((request) => request.method === 'POST')).toHaveLength(1);
    await gateway.close();
  });
});

describe('fal has_nsfw_concepts policy', () => {
  it('withholds flagged images under fail and reports the gap', async () => {
    server.enqueue({ type: 'nsfw', flagged: [1] });
    const provider = providerFor(server);
    const result = await provider.generate(callFor(provider, 'fal-ai/flux/dev', { n: 3 }), testCallContext());
    expect(result.images).toHaveLength(2);
    expect(result.filteredCount).toBe(1);
    expect(result.warnings?.map((warning) => warning.type)).toContain('content_filtered');
    expect(on('cdn')).toHaveLength(2);
  });

  it('returns flagged images labelled under flag', async () => {
    server.enqueue({ type: 'nsfw', flagged: [0] });
    const provider = providerFor(server, { contentFilter: 'flag' });
    const result = await provider.generate(callFor(provider, 'fal-ai/flux/dev', { n: 2 }), testCallContext());
    expect(result.images.map((image) => image.labels ?? [])).toEqual([[FAL_NSFW_LABEL], []]);
    expect(result.filteredCount).toBeUndefined();
  });
});

describe('fal synchronous endpoint', () => {
  it('answers fast models in one request to fal.run', async () => {
    const provider = providerFor(server);
    const result = await provider.generate(
      callFor(provider, 'fal-ai/flux/schnell', { n: 2 }),
      testCallContext(),
    );
    expect(result.images).toHaveLength(2);
    expect(on('queue')).toHaveLength(0);
    expect(on('sync')).toHaveLength(1);
    expect(on('sync')[0]!.headers.authorization).toBe(`Key ${TEST_KEY}`);
    expect(result.response?.upstreamRequestId).toBe([...server.runs.keys()][0]);
  });

  it('maps a 422 naming image_size to upstream_rejected on size', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'fal-ai/flux/schnell', { size: '1000x1000' }), testCallContext()),
    );
    expect(reasonOf(error)).toBe('upstream_rejected');
    expect(error.param).toBe('size');
  });
});

describe('fal resume after a worker restart', () => {
  it('reports the queued request; another process resumes it without queueing again', async () => {
    const reported: UpstreamJob[] = [];
    const first = providerFor(server);
    const call = callFor(first, 'fal-ai/flux/dev');
    const context = {
      ...testCallContext(),
      onUpstreamJob: (upstream: UpstreamJob) => {
        reported.push(upstream);
        // Nothing after the report runs, as when the worker process is killed right then.
        throw new Error('worker killed');
      },
    };
    await expect(first.generate(call, context)).rejects.toThrow();
    const requestId = [...server.runs.keys()][0]!;
    expect(reported).toEqual([
      {
        id: requestId,
        data: {
          statusUrl: expect.stringContaining(`${requestId}/status`),
          responseUrl: expect.stringContaining(requestId),
          cancelUrl: expect.stringContaining(`${requestId}/cancel`),
        },
      },
    ]);
    const successor = providerFor(server);
    const result = await successor.resume!(reported[0]!, call, testCallContext());
    expect(result.images).toHaveLength(1);
    expect(result.response?.upstreamRequestId).toBe(requestId);
    const submits = on('queue').filter((request) => request.method === 'POST');
    expect(submits).toHaveLength(1);
    expect(on('queue').filter((request) => request.method === 'PUT')).toHaveLength(0);
    expect(statusPolls().length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a saved status URL on a host that is not allowed, without requesting it', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.resume!(
        {
          id: 'req-1',
          data: {
            statusUrl: 'https://attacker.example/fal-ai/flux/requests/req-1/status',
            responseUrl: 'https://attacker.example/fal-ai/flux/requests/req-1',
          },
        },
        callFor(provider, 'fal-ai/flux/dev'),
        testCallContext(),
      ),
    );
    expect(error.code).toBe('BACKEND_ERROR');
    expect(server.requests).toHaveLength(0);
  });
});

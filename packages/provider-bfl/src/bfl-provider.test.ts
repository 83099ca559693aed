import { createGateway } from '@pixelgate/core';
import {
  BackendError,
  type FetchFunction,
  sniffImage,
  type UpstreamJob,
} from '@pixelgate/core/provider-utils';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFor, providerFor, TEST_KEY } from './bfl.test-helpers.ts';
import { createBflProvider } from './bfl-provider.ts';
import { type FakeBflServer, startFakeBflServer } from './testing/index.ts';

let server: FakeBflServer;
beforeEach(async () => {
  server = await startFakeBflServer();
});
afterEach(async () => {
  await server.close();
});

const api = () => server.requests.filter((request) => request.server === 'api');
const cdn = () => server.requests.filter((request) => request.server === 'cdn');
const submits = () => api().filter((request) => request.method === 'POST');
const polls = () => api().filter((request) => request.method === 'GET');

describe('BFL submit, poll and download', () => {
  it('submits with x-key, polls until Ready and downloads the image without the key', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'flux-pro-1.1', {
      size: '1024x768',
      seed: 42,
      outputFormat: 'jpeg',
      providerOptions: { safety_tolerance: 4, prompt_upsampling: true },
    });
    const result = await provider.generate(call, testCallContext());
    expect(result.images).toHaveLength(1);
    const image = result.images[0]!;
    expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/jpeg', width: 1024, height: 768 });
    expect(image.mediaType).toBe('image/jpeg');
    expect(image.seed).toBe(42);
    expect(submits()[0]!.url).toBe('/v1/flux-pro-1.1');
    expect(submits()[0]!.body).toEqual({
      prompt: 'a lighthouse at dusk',
      output_format: 'jpeg',
      seed: 42,
      width: 1024,
      height: 768,
      safety_tolerance: 4,
      prompt_upsampling: true,
    });
    expect(submits()[0]!.headers['x-key']).toBe(TEST_KEY);
    expect(polls().length).toBeGreaterThanOrEqual(1);
    for (const poll of polls()) expect(poll.headers['x-key']).toBe(TEST_KEY);
    expect(cdn()).toHaveLength(1);
    expect(JSON.stringify(cdn()[0]!.headers)).not.toContain(TEST_KEY);
    expect(cdn()[0]!.headers.authorization).toBeUndefined();
    expect(result.response?.upstreamRequestId).toBe([...server.tasks.keys()][0]);
    // The fake reports cost as credits (4 for a $0.04 model); $0.01 per credit by default.
    expect(result.costUsd).toBe(0.04);
  });

  it('sends aspect_ratio and raw for FLUX 1.1 pro ultra', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'flux-pro-1.1-ultra', {
      aspectRatio: '16:9',
      size: '2752x1536',
      providerOptions: { raw: true },
    });
    const result = await provider.generate(call, testCallContext());
    expect(submits()[0]!.body).toMatchObject({ aspect_ratio: '16:9', raw: true });
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 2752, height: 1536 });
  });

  it('refuses an option the endpoint does not take before any request', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(
        callFor(provider, 'flux-pro-1.1', { providerOptions: { raw: true } }),
        testCallContext(),
      ),
    );
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('provider_options.bfl.raw');
    expect(error.message).toContain('safety_tolerance');
    expect(server.requests).toHaveLength(0);
  });

  it('builds the polling URL itself when an older reply has none', async () => {
    server.enqueue('no_polling_url');
    const provider = providerFor(server);
    const result = await provider.generate(callFor(provider, 'flux-dev'), testCallContext());
    expect(result.images).toHaveLength(1);
    expect(polls()[0]!.url).toMatch(/^\/v1\/get_result\?id=/);
  });

  it('waits out a 429 while polling instead of submitting again', async () => {
    server.enqueue({ type: 'poll_rate_limited', count: 2 });
    const provider = providerFor(server);
    const result = await provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext());
    expect(result.images).toHaveLength(1);
    expect(submits()).toHaveLength(1);
    expect(polls().filter((poll) => poll.status === 429)).toHaveLength(2);
  });

  it('gives up after too many transient poll failures in a row', async () => {
    server.enqueue({ type: 'poll_rate_limited', count: 10 });
    const provider = providerFor(server, { maxTransientPollFailures: 2 });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('rate_limited');
    expect(polls()).toHaveLength(3);
  });
});

describe('BFL resume after a worker restart', () => {
  it('reports the task once submitted; another process resumes polling it without submitting again', async () => {
    const reported: UpstreamJob[] = [];
    const dying = new AbortController();
    const first = providerFor(server);
    const call = callFor(first, 'flux-pro-1.1');
    const context = {
      ...testCallContext({ signal: dying.signal }),
      onUpstreamJob: (upstream: UpstreamJob) => {
        reported.push(upstream);
        dying.abort(); // the worker dies right after the submit
      },
    };
    await expect(first.generate(call, context)).rejects.toThrow();
    const taskId = [...server.tasks.keys()][0]!;
    expect(reported).toEqual([
      { id: taskId, data: { pollingUrl: expect.stringContaining(taskId), cost: '4' } },
    ]);
    const successor = providerFor(server);
    const result = await successor.resume!(reported[0]!, call, testCallContext());
    expect(result.images).toHaveLength(1);
    expect(result.response?.upstreamRequestId).toBe(taskId);
    expect(result.costUsd).toBe(0.04);
    expect(submits()).toHaveLength(1);
    expect(polls().length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a saved polling URL on a host that is not allowed, without requesting it', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.resume!(
        { id: 'task-1', data: { pollingUrl: 'https://attacker.example/v1/get_result?id=task-1' } },
        callFor(provider, 'flux-pro-1.1'),
        testCallContext(),
      ),
    );
    expect(error.code).toBe('BACKEND_ERROR');
    expect(server.requests).toHaveLength(0);
  });
});

describe('BFL host discipline', () => {
  it('refuses a polling URL on a host that is not allowed, without requesting it', async () => {
    server.enqueue('foreign_polling_host');
    const seen: string[] = [];
    const fetch: FetchFunction = (input, init) => {
      seen.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    };
    const provider = providerFor(server, { fetch });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
    expect(error.message).toContain('polling.example.com');
    expect(seen.every((url) => url.startsWith(server.url))).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('refuses a result URL on a host that is not allowed', async () => {
    server.enqueue('foreign_result_host');
    const seen: string[] = [];
    const fetch: FetchFunction = (input, init) => {
      seen.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    };
    const provider = providerFor(server, { fetch });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
    expect(error.message).toContain('cdn.example.net');
    expect(seen.some((url) => url.includes('example.net'))).toBe(false);
  });

  it('does not download from the CDN host unless it is configured', async () => {
    const provider = createBflProvider({ apiKey: TEST_KEY, baseURL: server.url, pollIntervalMs: 20 });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
    expect(cdn()).toHaveLength(0);
  });
});

describe('BFL outcomes and failures', () => {
  it.each([
    ['request_moderated', 'Request Moderated'],
    ['content_filtered', 'Content Moderated'],
  ] as const)(
    'maps %s to content_filtered and never retries it through the gateway',
    async (scenario, status) => {
      server.enqueue(scenario);
      const gateway = createGateway({ providers: [providerFor(server)], guardrails: [] });
      const error = await gatewayErrorOf(
        gateway.generate({ model: 'bfl/flux-pro-1.1', prompt: 'a lighthouse' }),
      );
      expect(error.details).toMatchObject({ reason: 'content_filtered', upstream_code: status });
      expect(error.retryable).toBe(false);
      expect(submits()).toHaveLength(1);
      await gateway.close();
    },
  );

  it('maps a task that ends in Error to a retryable upstream_unavailable', async () => {
    server.enqueue('task_error');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('upstream_unavailable');
    expect(error.retryable).toBe(true);
  });

  it('maps an expired result URL to upstream_unavailable and says so', async () => {
    server.enqueue('expired_result');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('upstream_unavailable');
    expect(error.message).toMatch(/expire/);
  });

  it('maps a poll answer that is not JSON to malformed_response', async () => {
    server.enqueue('poll_malformed');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
  });

  it('maps a 422 naming width to upstream_rejected on size', async () => {
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1', { size: '1000x1000' }), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('upstream_rejected');
    expect(error.param).toBe('size');
    expect(error.message).toContain('multiple of 32');
  });

  it('maps 402 to insufficient_credit', async () => {
    server.enqueue('insufficient_credit');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('insufficient_credit');
  });

  it('caps the result size', async () => {
    const provider = providerFor(server, { maxImageBytes: 100 });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
    expect(error.message).toContain('100');
  });

  it('gives the download its own timeout', async () => {
    await server.close();
    server = await startFakeBflServer({ resultDelayMs: 10_000 });
    const provider = providerFor(server, { downloadTimeoutMs: 100 });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('timeout');
    expect(cdn()).toHaveLength(1);
  });

  it('stops polling at maxPollMs with a timeout', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const provider = providerFor(server, { maxPollMs: 150 });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext()),
    );
    expect(BackendError.isBackendError(error) && error.reason).toBe('timeout');
  });

  it('stops mid-poll when the caller aborts (ABORTED) and polls no more', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const provider = providerFor(server);
    const controller = new AbortController();
    const pending = provider.generate(
      callFor(provider, 'flux-pro-1.1'),
      testCallContext({ signal: controller.signal }),
    );
    // Abort once polling has visibly started.
    while (polls().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await gatewayErrorOf(pending);
    expect(error.code).toBe('ABORTED');
    const count = polls().length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(polls().length).toBe(count);
  });

  it('stops mid-poll at the deadline (TIMEOUT)', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const provider = providerFor(server);
    // The deadline passes once the task is being polled (a readiness signal, not a timer).
    const deadline = new AbortController();
    const pending = gatewayErrorOf(
      provider.generate(callFor(provider, 'flux-pro-1.1'), testCallContext({ signal: deadline.signal })),
    );
    for (let wait = 0; wait < 2000 && polls().length === 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(polls().length).toBeGreaterThanOrEqual(1);
    deadline.abort(new DOMException('The request deadline passed.', 'TimeoutError'));
    const error = await pending;
    expect(error.code).toBe('TIMEOUT');
  });

  it('runs concurrent tasks independently', async () => {
    const gateway = createGateway({
      providers: [providerFor(server)],
      guardrails: [],
      dispatch: { retry: { maxRetries: 0 } },
    });
    const result = await gateway.generate({ model: 'bfl/flux-dev', prompt: 'a lighthouse', n: 4 });
    expect(result.images).toHaveLength(4);
    expect(server.tasks.size).toBe(4);
    await gateway.close();
  });

  it('answers 429 with retry-after beyond the active-task limit, mapped to rate_limited', async () => {
    await server.close();
    server = await startFakeBflServer({ maxActiveTasks: 1, processingMs: 1_000 });
    const provider = providerFor(server);
    const first = provider.generate(callFor(provider, 'flux-dev'), testCallContext());
    await new Promise<void>((resolve) => {
      const check = () => (server.tasks.size >= 1 ? resolve() : setTimeout(check, 5));
      check();
    });
    const error = await gatewayErrorOf(provider.generate(callFor(provider, 'flux-dev'), testCallContext()));
    expect(BackendError.isBackendError(error) && error.reason).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(1_000);
    expect((await first).images).toHaveLength(1);
  });

  it('names BFL_API_KEY when no key is configured', async () => {
    const saved = process.env.BFL_API_KEY;
    delete process.env.BFL_API_KEY;
    try {
      const provider = createBflProvider({ baseURL: server.url });
      const error = await gatewayErrorOf(provider.generate(callFor(provider, 'flux-dev'), testCallContext()));
      expect(error.code).toBe('CONFIGURATION_ERROR');
      expect(error.message).toContain('BFL_API_KEY');
    } finally {
      if (saved !== undefined) process.env.BFL_API_KEY = saved;
    }
  });
});

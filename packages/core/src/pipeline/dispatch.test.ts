import { describe, expect, it } from 'vitest';
import { BackendError, type GatewayError } from '../errors/gateway-error.ts';
import { modelDescriptorSchema } from '../models/model-descriptor.ts';
import type { ProviderCall, ProviderCallContext, ProviderResult } from '../provider/image-provider.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import { silentLogger } from '../shared/logger.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { solidPng } from '../testing/solid-png.ts';
import { type DispatchOptions, dispatchImages, splitImages } from './dispatch.ts';

const model = modelDescriptorSchema.parse(MOCK_MODEL);
const png = solidPng(8, 8);
const ok = (n: number): ProviderResult => ({
  images: Array.from({ length: n }, () => ({ bytes: png, mediaType: 'image/png' })),
});

function options(
  generate: (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult>,
  overrides: Partial<DispatchOptions> = {},
) {
  const provider = createMockImageProvider({ generate });
  const base: DispatchOptions = {
    provider,
    call: {
      operation: 'generate',
      model,
      prompt: 'p',
      n: 10,
      size: '256x256',
      seed: 100,
      providerOptions: {},
    },
    retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
    concurrency: 2,
    partialFailure: 'fail',
    signal: new AbortController().signal,
    deadlineAt: Date.now() + 10_000,
    now: Date.now,
    requestId: 'req_test',
    logger: silentLogger,
    ...overrides,
  };
  return { provider, options: base };
}

const rateLimited = (retryAfterMs?: number) =>
  new BackendError('slow down', {
    reason: 'rate_limited',
    provider: 'mock',
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

describe('splitImages', () => {
  it('splits n into calls of at most the per-call limit', () => {
    expect(splitImages(10, 4)).toEqual([4, 4, 2]);
    expect(splitImages(3, 1)).toEqual([1, 1, 1]);
    expect(splitImages(2, 10)).toEqual([2]);
  });
});

describe('dispatchImages', () => {
  it('splits n, caps concurrency and gives split calls consecutive seeds', async () => {
    let inFlight = 0;
    let peak = 0;
    const { provider, options: o } = options(async (call) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return ok(call.n);
    });
    const result = await dispatchImages(o);
    expect(result.images).toHaveLength(10);
    expect(peak).toBe(2);
    expect(provider.calls.map((c) => [c.call.n, c.call.seed]).sort((a, b) => a[1]! - b[1]!)).toEqual([
      [4, 100],
      [4, 104],
      [2, 108],
    ]);
  });

  it('retries a throttled call, honouring Retry-After, then succeeds', async () => {
    let attempts = 0;
    const retries: number[] = [];
    const { options: o } = options(
      async (call) => {
        attempts++;
        if (attempts === 1) throw rateLimited(30);
        return ok(call.n);
      },
      {
        call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} },
        onRetry: (event) => retries.push(event.delayMs),
      },
    );
    const result = await dispatchImages(o);
    expect(result.images).toHaveLength(1);
    expect(attempts).toBe(2);
    expect(retries).toEqual([30]);
  });

  it('gives up after maxRetries and reports the provider error', async () => {
    let attempts = 0;
    const { options: o } = options(
      async () => {
        attempts++;
        throw new BackendError('down', { reason: 'upstream_unavailable', provider: 'mock' });
      },
      { call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} } },
    );
    const error = await dispatchImages(o).catch((e: unknown) => e as GatewayError);
    expect((error as BackendError).reason).toBe('upstream_unavailable');
    expect(attempts).toBe(3);
  });

  it('never retries a content refusal, nor a wait longer than allowed', async () => {
    for (const failure of [
      new BackendError('no', { reason: 'content_filtered', provider: 'mock' }),
      rateLimited(5000),
    ]) {
      let attempts = 0;
      const { options: o } = options(
        async () => {
          attempts++;
          throw failure;
        },
        { call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} } },
      );
      await expect(dispatchImages(o)).rejects.toBe(failure);
      expect(attempts).toBe(1);
    }
  });

  it('carries the caller abort into provider calls and backoff waits', async () => {
    const controller = new AbortController();
    const { options: o } = options(
      (_call, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(abortErrorFrom(context.signal)), {
            once: true,
          });
          setTimeout(() => controller.abort(), 10);
        }),
      {
        signal: controller.signal,
        call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} },
      },
    );
    const error = (await dispatchImages(o).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe('ABORTED');
  });

  it("under 'fail', one failed call fails the request and cancels the others", async () => {
    const cancelled: number[] = [];
    const { options: o } = options(
      (call, context) =>
        new Promise((resolve, reject) => {
          if (context.callIndex === 1)
            return reject(new BackendError('bad', { reason: 'upstream_rejected', provider: 'mock' }));
          const timer = setTimeout(() => resolve(ok(call.n)), 200);
          context.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            cancelled.push(context.callIndex);
            reject(abortErrorFrom(context.signal));
          });
        }),
      { concurrency: 3 },
    );
    const error = (await dispatchImages(o).catch((e: unknown) => e)) as BackendError;
    expect(error.reason).toBe('upstream_rejected');
    expect(cancelled.sort()).toEqual([0, 2]);
  });

  it("under 'return_partial', returns what succeeded and counts what is missing", async () => {
    const { options: o } = options(
      async (call, context) => {
        if (context.callIndex === 2)
          throw new BackendError('bad', { reason: 'upstream_rejected', provider: 'mock' });
        return ok(call.n);
      },
      { partialFailure: 'return_partial' },
    );
    const result = await dispatchImages(o);
    expect(result.images).toHaveLength(8);
    expect(result.missing).toBe(2);
    expect(result.firstError?.code).toBe('BACKEND_ERROR');
  });

  it('treats an answer without images, or with too many, as malformed', async () => {
    const { options: empty } = options(async () => ({ images: [] }), {
      call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} },
      retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    expect(((await dispatchImages(empty).catch((e: unknown) => e)) as BackendError).reason).toBe(
      'malformed_response',
    );
    const { options: many } = options(async () => ok(3), {
      call: { operation: 'generate', model, prompt: 'p', n: 1, providerOptions: {} },
    });
    expect(((await dispatchImages(many).catch((e: unknown) => e)) as BackendError).reason).toBe(
      'malformed_response',
    );
  });
});

describe('dispatchImages: streamed calls', () => {
  const streamingCall = {
    operation: 'generate' as const,
    model,
    prompt: 'p',
    n: 1,
    partialImages: 2,
    providerOptions: {},
  };
  const partial = { partialImageIndex: 0, imageIndex: 0, bytes: png, mediaType: 'image/png' };

  it('retries a streamed call that failed before its first partial image', async () => {
    let attempts = 0;
    const seen: number[] = [];
    const { options: opts } = options(
      async (_call, context) => {
        attempts += 1;
        if (attempts === 1) throw rateLimited();
        context.onPartialImage?.(partial);
        return ok(1);
      },
      { call: streamingCall, onPartialImage: (event) => seen.push(event.partialImageIndex) },
    );
    const result = await dispatchImages(opts);
    expect(attempts).toBe(2);
    expect(result.images).toHaveLength(1);
    expect(seen).toEqual([0]);
  });

  it('does not retry a streamed call once a partial image reached the client', async () => {
    let attempts = 0;
    const seen: number[] = [];
    const { options: opts } = options(
      async (_call, context) => {
        attempts += 1;
        context.onPartialImage?.(partial);
        throw rateLimited();
      },
      { call: streamingCall, onPartialImage: (event) => seen.push(event.partialImageIndex) },
    );
    const error = (await dispatchImages(opts).catch((thrown: unknown) => thrown)) as GatewayError;
    expect(error.code).toBe('BACKEND_ERROR');
    expect(attempts).toBe(1);
    expect(seen).toEqual([0]);
  });
});

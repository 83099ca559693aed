import { type ProviderCallContext, sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callFor, contextFor, expectNoSecret, rejection } from './openai.test-helpers.ts';
import { alphaMask, drawnInput } from './openai-edit.test-helpers.ts';
import { createAzureOpenAIProvider, createOpenAIProvider } from './openai-provider.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

const AZURE_KEY = '0123456789abcdef0123456789abcdef';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({
    azure: { apiKey: AZURE_KEY, deployments: { editor: 'gpt-image-1.5' } },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function openai() {
  return createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: server.baseURL });
}

type ProviderPartialImage = Parameters<NonNullable<ProviderCallContext['onPartialImage']>>[0];

/** A context collecting partial images in arrival order. */
function collecting(extra: Parameters<typeof contextFor>[0] = {}) {
  const partials: ProviderPartialImage[] = [];
  return { partials, context: contextFor({ onPartialImage: (partial) => partials.push(partial), ...extra }) };
}

/** Waits (bounded, on the fake's own count) until the fake has no open stream. */
async function streamsClosed(): Promise<number> {
  for (let attempt = 0; attempt < 200 && server.openStreams() > 0; attempt++) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return server.openStreams();
}

describe('streamed partial images', () => {
  it('generation: stream and partial_images in the JSON, partials in order, the completed image returned', async () => {
    const provider = openai();
    const { partials, context } = collecting();
    const call = callFor(provider, 'gpt-image-1.5', { partialImages: 3, size: '1024x1024', quality: 'low' });
    const result = await provider.generate(call, context);
    const request = server.requests.at(-1)!;
    expect(request.headers.accept).toBe('text/event-stream');
    expect(request.body).toMatchObject({ stream: true, partial_images: 3 });
    expect(partials.map((p) => [p.imageIndex, p.partialImageIndex, p.mediaType])).toEqual([
      [0, 0, 'image/png'],
      [0, 1, 'image/png'],
      [0, 2, 'image/png'],
    ]);
    expect(partials[0]!.base64).toBe(Buffer.from(partials[0]!.bytes).toString('base64'));
    expect(result.images).toHaveLength(1);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({
      mediaType: 'image/png',
      width: 1024,
      height: 1024,
    });
    // The final image is not one of the partial ones.
    expect(partials.some((p) => Buffer.from(p.bytes).equals(Buffer.from(result.images[0]!.bytes)))).toBe(
      false,
    );
    expect(result.usage).toMatchObject({ outputImageTokens: 272 });
    expect(result.usage!.inputTextTokens).toBeGreaterThan(0);
    expect(await streamsClosed()).toBe(0);
  });

  it('edit: stream and partial_images as form fields; two images each with their partials, usage summed', async () => {
    const provider = openai();
    const { partials, context } = collecting();
    const call = callFor(provider, 'gpt-image-1.5', {
      operation: 'edit',
      images: [drawnInput(32, 32)],
      mask: alphaMask(32, 32),
      partialImages: 2,
      n: 2,
      quality: 'low',
      size: '1024x1024',
      outputFormat: 'jpeg',
    });
    const result = await provider.edit!(call, context);
    const form = server.requests.at(-1)!.body as { fields: Record<string, string> };
    expect(form.fields).toMatchObject({ stream: 'true', partial_images: '2' });
    expect(partials.map((p) => [p.imageIndex, p.partialImageIndex, p.mediaType])).toEqual([
      [0, 0, 'image/jpeg'],
      [0, 1, 'image/jpeg'],
      [1, 0, 'image/jpeg'],
      [1, 1, 'image/jpeg'],
    ]);
    expect(result.images.map((image) => image.mediaType)).toEqual(['image/jpeg', 'image/jpeg']);
    expect(result.usage).toMatchObject({ outputImageTokens: 2 * 272, inputImageTokens: 323 });
  });

  it('Azure: the deployment edit path streams too', async () => {
    const azure = createAzureOpenAIProvider({
      endpoint: server.url,
      apiKey: AZURE_KEY,
      deployments: { editor: 'gpt-image-1.5' },
    });
    const { partials, context } = collecting();
    const result = await azure.edit!(
      callFor(azure, 'editor', { operation: 'edit', images: [drawnInput(16, 16)], partialImages: 1 }),
      context,
    );
    expect(server.requests.at(-1)!.url).toBe(
      '/openai/deployments/editor/images/edits?api-version=2025-04-01-preview',
    );
    expect(partials).toHaveLength(1);
    expect(result.images).toHaveLength(1);
  });

  it('an upstream error event maps like the HTTP error: server_error is retryable upstream_unavailable', async () => {
    const provider = openai();
    const { partials, context } = collecting();
    server.enqueue({ type: 'stream_error', afterEvents: 2 });
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 3 }), context),
    );
    expect(partials).toHaveLength(2);
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'upstream_unavailable', retryable: true });
    expect(error.upstreamRequestId).toMatch(/^req_/);
    expect(await streamsClosed()).toBe(0);
  });

  it('a moderation error event is content_filtered, never retried, with its labels', async () => {
    const provider = openai();
    server.enqueue({
      type: 'stream_error',
      afterEvents: 1,
      code: 'moderation_blocked',
      errorType: 'image_generation_user_error',
      message: 'Your request was rejected by the safety system.',
    });
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 2 }), collecting().context),
    );
    expect(error).toMatchObject({
      reason: 'content_filtered',
      retryable: false,
      upstreamCode: 'moderation_blocked',
    });
  });

  it('an error event echoing the key or image data is redacted like an HTTP error', async () => {
    const provider = openai();
    const blob = Buffer.from(new Uint8Array(600).fill(7)).toString('base64');
    server.enqueue({
      type: 'stream_error',
      errorType: 'invalid_request_error',
      code: 'invalid_value',
      message: `bad key ${FAKE_OPENAI_API_KEY} near ${blob}`,
    });
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 1 }), collecting().context),
    );
    expect(error).toMatchObject({
      reason: 'upstream_rejected',
      upstreamCode: 'invalid_value',
      retryable: false,
    });
    expectNoSecret(error, FAKE_OPENAI_API_KEY);
    expect(error.message).not.toContain(blob.slice(0, 64));
  });

  it('a stream cut inside an event is malformed_response (retryable)', async () => {
    const provider = openai();
    server.enqueue({ type: 'truncated' });
    const { partials, context } = collecting();
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 3 }), context),
    );
    expect(error).toMatchObject({ reason: 'malformed_response', retryable: true });
    expect(partials).toHaveLength(1);
  });

  it('abort mid-stream: ABORTED, and the upstream stream is closed', async () => {
    // The timeout only bounds the test if the abort never happens; the assertion is ABORTED.
    const provider = createOpenAIProvider({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      timeoutMs: 20_000,
    });
    const controller = new AbortController();
    server.enqueue({ type: 'stream_stall', afterEvents: 1 });
    const { partials, context } = collecting({ signal: controller.signal });
    const pending = provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 3 }), {
      ...context,
      onPartialImage: (partial) => {
        partials.push(partial);
        controller.abort();
      },
    });
    const error = await rejection(pending);
    expect(error.code).toBe('ABORTED');
    expect(partials).toHaveLength(1);
    expect(await streamsClosed()).toBe(0);
  });

  it('abort from onPartialImage wins even when the whole stream is already buffered', async () => {
    const png = Buffer.from(drawnInput(8, 8).bytes).toString('base64');
    const body = [
      `event: image_generation.partial_image\ndata: ${JSON.stringify({ type: 'image_generation.partial_image', b64_json: png, partial_image_index: 0 })}\n\n`,
      `event: image_generation.completed\ndata: ${JSON.stringify({ type: 'image_generation.completed', b64_json: png, output_format: 'png' })}\n\n`,
    ].join('');
    const fetchOnce = async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    const provider = createOpenAIProvider({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      fetch: fetchOnce,
    });
    const controller = new AbortController();
    const context = contextFor({ signal: controller.signal, onPartialImage: () => controller.abort() });
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 1 }), context),
    );
    expect(error.code).toBe('ABORTED');
  });

  it('the per-call timeout ends a stalled stream as a retryable timeout', async () => {
    const provider = createOpenAIProvider({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      timeoutMs: 300,
    });
    server.enqueue({ type: 'stream_stall', afterEvents: 1 });
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 2 }), collecting().context),
    );
    expect(error).toMatchObject({ reason: 'timeout', retryable: true });
    expect(await streamsClosed()).toBe(0);
  });

  it('concurrent streams each get their own partial images, in order, and all close', async () => {
    const provider = openai();
    const runs = Array.from({ length: 4 }, (_, index) => {
      const { partials, context } = collecting();
      const call = callFor(provider, 'gpt-image-1.5', {
        prompt: `lighthouse ${index}`,
        partialImages: 2,
        size: '1024x1024',
      });
      return { partials, result: provider.generate(call, context) };
    });
    const results = await Promise.all(runs.map((run) => run.result));
    for (const [index, run] of runs.entries()) {
      expect(run.partials.map((p) => p.partialImageIndex)).toEqual([0, 1]);
      // No partial image of one call reached another call's callback.
      for (const [other, otherRun] of runs.entries()) {
        if (other === index) continue;
        const mine = run.partials.map((p) => Buffer.from(p.bytes).toString('base64'));
        expect(otherRun.partials.some((p) => mine.includes(Buffer.from(p.bytes).toString('base64')))).toBe(
          false,
        );
      }
    }
    const finals = new Set(results.map((result) => Buffer.from(result.images[0]!.bytes).toString('base64')));
    expect(finals.size).toBe(4);
    expect(await streamsClosed()).toBe(0);
  });

  it('dall-e-2 cannot stream: partial images are refused before sending', async () => {
    const provider = createOpenAIProvider({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      servedBy: 'compatible',
    });
    const error = await rejection(
      provider.generate(callFor(provider, 'dall-e-2', { partialImages: 1 }), collecting().context),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'partial_images' });
    expect(server.requests).toHaveLength(0);
  });

  it('the fake refuses partial_images above 3 as the API does', async () => {
    const provider = openai();
    const error = await rejection(
      provider.generate(callFor(provider, 'gpt-image-1.5', { partialImages: 4 }), collecting().context),
    );
    expect(error).toMatchObject({ reason: 'upstream_rejected', param: 'partial_images' });
  });
});

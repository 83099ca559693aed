import { type BackendError, GatewayError, sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callFor, contextFor, rejection } from './imagen.test-helpers.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';
import { type FakeImagenServer, startFakeImagenServer } from './testing/index.ts';

const token = 'ya29.static-gemini-token-123456';
let server: FakeImagenServer;
beforeAll(async () => {
  server = await startFakeImagenServer({ staticAccessTokens: [token] });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

interface GenerateBody {
  contents: Array<{ role: string; parts: Array<{ text?: string }> }>;
  generationConfig: { responseModalities: string[]; imageConfig: Record<string, unknown> };
  safetySettings?: Array<{ category: string; threshold: string }>;
}
const lastBody = () => server.requests.at(-1)?.body as GenerateBody;
const reasonOf = (error: unknown) => (error as BackendError).reason;

describe('Gemini image models on the Gemini API', () => {
  const provider = (settings: Record<string, unknown> = {}) =>
    createGoogleImageProvider({ api: 'gemini', apiKey: server.apiKey, baseURL: server.url, ...settings });

  it('calls generateContent with image output and maps the answer, usage included', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'gemini-2.5-flash-image', { aspectRatio: '16:9', size: '1344x768' }),
      contextFor(),
    );
    expect(server.requests.at(-1)?.path).toBe('/v1beta/models/gemini-2.5-flash-image:generateContent');
    expect(lastBody()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'a lighthouse at dusk' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9' } },
    });
    expect(result.images).toHaveLength(1);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({ mediaType: 'image/png', width: 1344, height: 768 });
    expect(result.usage).toMatchObject({ outputImageTokens: 1290, outputTextTokens: 5 });
    expect(result.response?.upstreamRequestId).toMatch(/^fake-/);
  });

  it('sends imageSize for the 3.x tiers and gets that many pixels', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'gemini-3-pro-image', { aspectRatio: '1:1', size: '2048x2048' }),
      contextFor(),
    );
    expect(lastBody().generationConfig.imageConfig).toEqual({ aspectRatio: '1:1', imageSize: '2K' });
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 2048, height: 2048 });
  });

  it('sends 1K explicitly for base sizes of 3.x models and returns their JPEG', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'gemini-3.1-flash-image', { aspectRatio: '4:1', size: '2064x512' }),
      contextFor(),
    );
    expect(lastBody().generationConfig.imageConfig).toEqual({ aspectRatio: '4:1', imageSize: '1K' });
    expect(result.images[0]!.mediaType).toBe('image/jpeg');
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 2064, height: 512 });
  });

  it('declares only the model encoding on this route (no format control)', () => {
    const model = provider().models.find((m) => m.id === 'gemini-3.1-flash-image');
    expect(model?.capabilities.outputFormats).toEqual(['jpeg']);
    expect(model?.capabilities.maxImagesPerCall).toBe(1);
  });

  it('maps safetySetting onto the four harm categories', async () => {
    const p = provider();
    await p.generate(
      callFor(p, 'gemini-3-pro-image', { providerOptions: { safetySetting: 'block_only_high' } }),
      contextFor(),
    );
    expect(lastBody().safetySettings).toHaveLength(4);
    expect(new Set(lastBody().safetySettings?.map((s) => s.threshold))).toEqual(new Set(['BLOCK_ONLY_HIGH']));
  });

  it.each([
    ['provider_options.google.personGeneration', { personGeneration: 'allow_adult' }, /Vertex/],
    ['provider_options.google.outputOptions', { outputOptions: { mimeType: 'image/png' } }, /Vertex/],
    ['provider_options.google.language', { language: 'en' }, /Imagen models only/],
    ['provider_options.google.enhancePrompt', { enhancePrompt: true }, /Imagen models only/],
    [
      'provider_options.google.includeSafetyAttributes',
      { includeSafetyAttributes: true },
      /Imagen models only/,
    ],
    ['provider_options.google.addWatermark', { addWatermark: false }, /cannot be turned off/],
  ])('refuses %s before sending anything', async (param, providerOptions, message) => {
    const p = provider();
    const error = await rejection(
      p.generate(callFor(p, 'gemini-3-pro-image', { providerOptions }), contextFor()),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a seed and a negative prompt for the Gemini family', async () => {
    const p = provider();
    expect(
      (await rejection(p.generate(callFor(p, 'gemini-3-pro-image', { seed: 1 }), contextFor()))).param,
    ).toBe('seed');
    expect(
      (await rejection(p.generate(callFor(p, 'gemini-3-pro-image', { negativePrompt: 'x' }), contextFor())))
        .param,
    ).toBe('negative_prompt');
  });

  it.each(['IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'SAFETY', 'RECITATION'])(
    'maps finishReason %s without an image to content_filtered',
    async (finishReason) => {
      const p = provider();
      server.enqueue({ type: 'finish', finishReason });
      const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
      expect(reasonOf(error)).toBe('content_filtered');
      expect((error as unknown as BackendError).upstreamCode).toBe(finishReason);
      expect(error.retryable).toBe(false);
    },
  );

  it('maps a blocked prompt (promptFeedback.blockReason, HTTP 200) to content_filtered', async () => {
    const p = provider();
    server.enqueue('prompt_blocked');
    const error = await rejection(p.generate(callFor(p, 'gemini-2.5-flash-image'), contextFor()));
    expect(reasonOf(error)).toBe('content_filtered');
    expect((error as unknown as BackendError).upstreamCode).toBe('PROHIBITED_CONTENT');
  });

  it('maps NO_IMAGE to malformed_response, not retryable by default', async () => {
    const p = provider();
    server.enqueue('no_image');
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(error)).toBe('malformed_response');
    expect((error as unknown as BackendError).upstreamCode).toBe('NO_IMAGE');
    expect(error.retryable).toBe(false);
  });

  it('makes empty answers retryable when retryEmptyResults is set', async () => {
    const p = provider({ retryEmptyResults: true });
    server.enqueue({
      type: 'finish',
      finishReason: 'OTHER',
      finishMessage: 'Model failed to generate content due to internal error.',
    });
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(error)).toBe('malformed_response');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/internal error/);
  });

  it('treats a text-only STOP answer as a failure quoting the model', async () => {
    const p = provider();
    server.enqueue('text_only');
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(error)).toBe('malformed_response');
    expect(error.message).toMatch(/STOP.*I can't draw that/);
  });

  it('keeps n images when the model returns more, and says so', async () => {
    const p = provider();
    server.enqueue('multiple_images');
    const result = await p.generate(callFor(p, 'gemini-3-pro-image'), contextFor());
    expect(result.images).toHaveLength(1);
    expect(result.warnings).toContainEqual(expect.objectContaining({ type: 'other', param: 'n' }));
  });

  it('skips thought parts, even when they carry a draft image', async () => {
    const p = provider();
    server.enqueue('thoughts');
    const result = await p.generate(callFor(p, 'gemini-3-pro-image'), contextFor());
    expect(result.images).toHaveLength(1);
    expect(result.warnings?.filter((w) => w.param === 'n')).toEqual([]);
  });

  it('accepts a finish reason it does not know when an image came back', async () => {
    const p = provider();
    server.enqueue('unknown_finish_reason');
    const result = await p.generate(callFor(p, 'gemini-3-pro-image'), contextFor());
    expect(result.images).toHaveLength(1);
  });

  it('maps a shut-down id to model_unavailable (404 NOT_FOUND)', async () => {
    const p = provider();
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image-preview'), contextFor()));
    expect(reasonOf(error)).toBe('model_unavailable');
    expect(error.message).toMatch(/is not found for API version v1beta/);
  });

  it('maps 429 RESOURCE_EXHAUSTED with RetryInfo, and 5xx', async () => {
    const p = provider();
    server.enqueue({ type: 'rate_limited', retryDelay: '34.4s' }, 'server_error');
    const limited = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(limited)).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(34_400);
    const failed = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(failed)).toBe('upstream_unavailable');
    expect(failed.retryable).toBe(true);
  });

  it('maps a missing key (403 PERMISSION_DENIED) to upstream_auth', async () => {
    const missingKey = async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.delete('x-goog-api-key');
      return fetch(input, { ...init, headers });
    };
    const p = provider({ fetch: missingKey });
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(error)).toBe('upstream_auth');
    expect((error as unknown as BackendError).upstreamStatus).toBe(403);
  });
});

describe('Gemini image models on Vertex AI', () => {
  const provider = () =>
    createGoogleImageProvider({
      api: 'vertex',
      project: 'proj-2',
      location: 'us-central1',
      accessToken: async () => token,
      baseURL: server.url,
    });

  it('routes a global-only model to locations/global whatever the configured location', async () => {
    const p = provider();
    const result = await p.generate(callFor(p, 'gemini-3.1-flash-image'), contextFor());
    expect(server.requests.at(-1)?.path).toBe(
      '/v1/projects/proj-2/locations/global/publishers/google/models/gemini-3.1-flash-image:generateContent',
    );
    expect(result.images).toHaveLength(1);
  });

  it('uses the configured region for regional models', async () => {
    const p = provider();
    await p.generate(callFor(p, 'gemini-3-pro-image'), contextFor());
    expect(server.requests.at(-1)?.location).toBe('us-central1');
  });

  it('sends personGeneration (upper case) and imageOutputOptions, and returns the asked encoding', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'gemini-3-pro-image', {
        outputFormat: 'jpeg',
        outputCompression: 20,
        providerOptions: { personGeneration: 'dont_allow' },
      }),
      contextFor(),
    );
    expect(lastBody().generationConfig.imageConfig).toEqual({
      aspectRatio: '1:1',
      imageSize: '1K',
      personGeneration: 'ALLOW_NONE',
      imageOutputOptions: { mimeType: 'image/jpeg', compressionQuality: 20 },
    });
    expect(result.images[0]!.mediaType).toBe('image/jpeg');
  });

  it('sends personGeneration on Vertex for 2.5 Flash Image, and no imageSize (it has no size control)', async () => {
    const p = provider();
    await expect(
      p.generate(
        callFor(p, 'gemini-2.5-flash-image', { providerOptions: { personGeneration: 'allow_all' } }),
        contextFor(),
      ),
    ).resolves.toMatchObject({
      images: [expect.anything()],
    });
    expect(lastBody().generationConfig.imageConfig).toEqual({
      aspectRatio: '1:1',
      personGeneration: 'ALLOW_ALL',
    });
  });

  it('does not offer Gemini-API-only models', () => {
    const ids = provider().models.map((model) => model.id);
    expect(ids).toContain('gemini-3-pro-image');
    expect(ids).not.toContain('gemini-nano-banana-2.1');
  });

  it('maps IMAGE_SAFETY on Vertex to content_filtered', async () => {
    const p = provider();
    server.enqueue('content_filtered');
    const error = await rejection(p.generate(callFor(p, 'gemini-3-pro-image'), contextFor()));
    expect(reasonOf(error)).toBe('content_filtered');
  });
});

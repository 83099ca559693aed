import {
  BackendError,
  drawTestImage,
  type FetchFunction,
  GatewayError,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callFor, contextFor, rejection } from './imagen.test-helpers.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';
import { type FakeImagenServer, startFakeImagenServer } from './testing/index.ts';

let server: FakeImagenServer;
beforeAll(async () => {
  server = await startFakeImagenServer({ slowMs: 5000 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

const lastBody = () =>
  server.requests.at(-1)?.body as {
    instances: Array<{ prompt: string }>;
    parameters: Record<string, unknown>;
  };

describe('Imagen on the Gemini API', () => {
  const provider = () =>
    createGoogleImageProvider({ api: 'gemini', apiKey: server.apiKey, baseURL: server.url });

  it('posts instances and parameters to /v1beta/models/{model}:predict with the API key, and returns real images', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001', { n: 3, aspectRatio: '16:9', size: '1408x768' }),
      contextFor(),
    );
    const request = server.requests.at(-1)!;
    expect(request.path).toBe('/v1beta/models/imagen-4.0-generate-001:predict');
    expect(request.api).toBe('gemini');
    expect(lastBody()).toEqual({
      instances: [{ prompt: 'a lighthouse at dusk' }],
      parameters: { sampleCount: 3, aspectRatio: '16:9', includeRaiReason: true },
    });
    expect(result.images).toHaveLength(3);
    for (const image of result.images) {
      expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/png', width: 1408, height: 768 });
      expect(image.mediaType).toBe('image/png');
    }
    expect(result.filteredCount).toBeUndefined();
  });

  it('leaves Vertex-only Imagen models out of the catalog', () => {
    const ids = provider().models.map((model) => model.id);
    expect(ids).toContain('imagen-3.0-generate-002');
    expect(ids).not.toContain('imagen-3.0-fast-generate-001');
  });

  it.each([
    ['negative_prompt', { negativePrompt: 'no boats' }],
    ['seed', { seed: 7 }],
    ['provider_options.google.addWatermark', { providerOptions: { addWatermark: false } }],
    ['provider_options.google.enhancePrompt', { providerOptions: { enhancePrompt: true } }],
  ])('refuses %s before sending anything', async (param, fields) => {
    const p = provider();
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001', fields), contextFor()));
    expect(GatewayError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(/Gemini API/);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts addWatermark true (the route only has it on) without sending it', async () => {
    const p = provider();
    await p.generate(
      callFor(p, 'imagen-4.0-fast-generate-001', { providerOptions: { addWatermark: true } }),
      contextFor(),
    );
    expect(lastBody().parameters).not.toHaveProperty('addWatermark');
  });

  it('uses the tenant key from context.credentials over the configured one', async () => {
    const p = createGoogleImageProvider({
      api: 'gemini',
      apiKey: 'AIza-wrong-key-000000',
      baseURL: server.url,
    });
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001'),
      contextFor({ credentials: { apiKey: server.apiKey } }),
    );
    expect(result.images).toHaveLength(1);
  });

  it('maps a refused key (400 API_KEY_INVALID) to upstream_auth without echoing the key', async () => {
    const key = 'AIza-not-a-real-key-123456';
    const p = createGoogleImageProvider({ api: 'gemini', apiKey: key, baseURL: server.url });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect(BackendError.isBackendError(error)).toBe(true);
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
    expect((error as unknown as BackendError).upstreamCode).toBe('API_KEY_INVALID');
    expect(error.retryable).toBe(false);
    expect(
      JSON.stringify({ message: error.message, json: (error as unknown as GatewayError).toJSON() }),
    ).not.toContain(key);
  });

  it('redacts the key when an upstream error body echoes it', async () => {
    const key = 'AIza-echoed-secret-987654';
    const echo = async () =>
      new Response(
        JSON.stringify({
          error: { code: 400, status: 'INVALID_ARGUMENT', message: `bad request for key ${key}` },
        }),
        {
          status: 400,
          headers: { 'content-type': 'application/json' },
        },
      );
    const p = createGoogleImageProvider({ api: 'gemini', apiKey: key, baseURL: server.url, fetch: echo });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect(error.message).toContain('[REDACTED]');
    expect(error.message).not.toContain(key);
  });

  it('fails clearly, and only when used, when no API key is configured', async () => {
    const saved = { gemini: process.env.GEMINI_API_KEY, google: process.env.GOOGLE_API_KEY };
    delete process.env.GEMINI_API_KEY;
    delete process.env.GOOGLE_API_KEY;
    try {
      const p = createGoogleImageProvider({ api: 'gemini', baseURL: server.url });
      const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
      expect(GatewayError.isInstance(error) && error.code).toBe('CONFIGURATION_ERROR');
      expect(error.message).toMatch(/GEMINI_API_KEY/);
      expect(server.requests).toHaveLength(0);
    } finally {
      if (saved.gemini !== undefined) process.env.GEMINI_API_KEY = saved.gemini;
      if (saved.google !== undefined) process.env.GOOGLE_API_KEY = saved.google;
    }
  });

  it('reads GEMINI_API_KEY lazily', async () => {
    const saved = process.env.GEMINI_API_KEY;
    const p = createGoogleImageProvider({ api: 'gemini', baseURL: server.url });
    process.env.GEMINI_API_KEY = server.apiKey;
    try {
      expect((await p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor())).images).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.GEMINI_API_KEY;
      else process.env.GEMINI_API_KEY = saved;
    }
  });
});

describe('Imagen on Vertex AI', () => {
  const token = 'ya29.static-test-token-abcdef';
  let vertexServer: FakeImagenServer;
  beforeAll(async () => {
    vertexServer = await startFakeImagenServer({ staticAccessTokens: [token], slowMs: 5000 });
  });
  afterAll(async () => {
    await vertexServer.close();
  });
  afterEach(() => {
    vertexServer.requests.length = 0;
  });
  const provider = (settings: Record<string, unknown> = {}) =>
    createGoogleImageProvider({
      api: 'vertex',
      project: 'proj-1',
      location: 'europe-west4',
      accessToken: async () => token,
      baseURL: vertexServer.url,
      ...settings,
    });
  const body = () => vertexServer.requests.at(-1)?.body as { parameters: Record<string, unknown> };

  it('posts to the regional publisher path with a bearer token', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'imagen-3.0-fast-generate-001', { n: 2, aspectRatio: '3:4', size: '896x1280' }),
      contextFor(),
    );
    expect(vertexServer.requests.at(-1)?.path).toBe(
      '/v1/projects/proj-1/locations/europe-west4/publishers/google/models/imagen-3.0-fast-generate-001:predict',
    );
    expect(result.images.map((image) => sniffImage(image.bytes))).toEqual([
      { mediaType: 'image/png', width: 896, height: 1280 },
      { mediaType: 'image/png', width: 896, height: 1280 },
    ]);
  });

  it('maps a 2K size to sampleImageSize 2K and gets 2K pixels back', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001', { aspectRatio: '1:1', size: '2048x2048' }),
      contextFor(),
    );
    expect(body().parameters).toMatchObject({ aspectRatio: '1:1', sampleImageSize: '2K' });
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 2048, height: 2048 });
  });

  it('reads the ratio of a 2K size from the table (1792x2560 is 3:4, though it reduces to 7:10)', async () => {
    const p = provider();
    const call = callFor(p, 'imagen-4.0-ultra-generate-001', { size: '1792x2560' });
    delete call.aspectRatio;
    await p.generate({ ...call, prompt: 'tall' }, contextFor()).catch(() => undefined);
    expect(body().parameters).toMatchObject({ aspectRatio: '3:4', sampleImageSize: '2K' });
  });

  it('refuses a seed unless the watermark is turned off, naming both fields', async () => {
    const p = provider();
    const error = await rejection(
      p.generate(callFor(p, 'imagen-4.0-generate-001', { seed: 42 }), contextFor()),
    );
    expect(error.param).toBe('seed');
    expect(error.message).toContain('provider_options.google.addWatermark');
    expect(vertexServer.requests).toHaveLength(0);
  });

  it('sends seed with addWatermark false, and the negative prompt', async () => {
    const p = provider();
    await p.generate(
      callFor(p, 'imagen-4.0-generate-001', {
        seed: 42,
        negativePrompt: 'boats',
        providerOptions: { addWatermark: false },
      }),
      contextFor(),
    );
    expect(body().parameters).toMatchObject({
      seed: 42,
      addWatermark: false,
      negativePrompt: 'boats',
      includeRaiReason: true,
    });
  });

  it('returns the rewritten prompt as revisedPrompt when enhancePrompt is on', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001', { n: 2, providerOptions: { enhancePrompt: true } }),
      contextFor(),
    );
    expect(body().parameters.enhancePrompt).toBe(true);
    for (const image of result.images) {
      expect(image.revisedPrompt).toMatch(/^a lighthouse at dusk, rendered in rich detail/);
    }
  });

  it('passes personGeneration, safetySetting and language through', async () => {
    const p = provider();
    await p.generate(
      callFor(p, 'imagen-4.0-generate-001', {
        providerOptions: { personGeneration: 'dont_allow', safetySetting: 'block_only_high', language: 'ja' },
      }),
      contextFor(),
    );
    expect(body().parameters).toMatchObject({
      personGeneration: 'dont_allow',
      safetySetting: 'block_only_high',
      language: 'ja',
    });
  });

  it('asks for jpeg with Google compression quality = output_compression, so 100 stays the best (issue 20.8)', async () => {
    const p = provider();
    const result = await p.generate(
      callFor(p, 'imagen-4.0-fast-generate-001', { outputFormat: 'jpeg', outputCompression: 30 }),
      contextFor(),
    );
    expect(body().parameters.outputOptions).toEqual({ mimeType: 'image/jpeg', compressionQuality: 30 });
    await p.generate(
      callFor(p, 'imagen-4.0-fast-generate-001', { outputFormat: 'jpeg', outputCompression: 100 }),
      contextFor(),
    );
    expect(body().parameters.outputOptions).toEqual({ mimeType: 'image/jpeg', compressionQuality: 100 });
    expect(result.images[0]!.mediaType).toBe('image/jpeg');
    expect(sniffImage(result.images[0]!.bytes)?.mediaType).toBe('image/jpeg');
  });

  it('refuses outputOptions that contradict output_format', async () => {
    const p = provider();
    const error = await rejection(
      p.generate(
        callFor(p, 'imagen-4.0-generate-001', {
          outputFormat: 'png',
          providerOptions: { outputOptions: { mimeType: 'image/jpeg' } },
        }),
        contextFor(),
      ),
    );
    expect(error.param).toBe('provider_options.google.outputOptions.mimeType');
  });

  it('refuses a misspelt option (strict schema) naming the field', async () => {
    const p = provider();
    const error = await rejection(
      p.generate(
        callFor(p, 'imagen-4.0-generate-001', { providerOptions: { negative_prompt: 'x' } }),
        contextFor(),
      ),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect(String(error.param)).toMatch(/^provider_options\.google/);
  });

  it('returns the images that passed plus filteredCount, a warning and a label on partial filtering', async () => {
    const p = provider();
    vertexServer.enqueue({ type: 'filter', count: 2 });
    const result = await p.generate(callFor(p, 'imagen-4.0-generate-001', { n: 4 }), contextFor());
    expect(result.images).toHaveLength(2);
    expect(result.filteredCount).toBe(2);
    expect(result.labels).toContain('provider:google:rai:filtered');
    const warning = result.warnings?.find((w) => w.type === 'content_filtered');
    expect(warning?.message).toMatch(
      /withheld 2 of 4 images: Your current safety filter threshold filtered out 2/,
    );
  });

  it('treats a fully filtered answer (HTTP 200) as content_filtered, not retryable', async () => {
    const p = provider();
    vertexServer.enqueue('content_filtered');
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001', { n: 2 }), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('content_filtered');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/All images were filtered out/);
  });

  it('refuses storageUri up front as a VALIDATION_ERROR saying why (issue 20.7)', async () => {
    const p = provider();
    const error = await rejection(
      p.generate(
        callFor(p, 'imagen-4.0-generate-001', { providerOptions: { storageUri: 'gs://bucket/out' } }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'provider_options.google.storageUri' });
    expect(error.message).toMatch(/storageUri is not supported.*Cloud Storage/);
    expect(vertexServer.requests).toHaveLength(0);
  });

  it('keeps the filter information when a proxy makes Google answer with gcsUri (issue 20.7)', async () => {
    // A proxy between pixelgate and Google adds storageUri to every :predict body.
    const proxying: FetchFunction = async (input, init) => {
      if (typeof init?.body !== 'string' || !String(input).endsWith(':predict')) return fetch(input, init);
      const body = JSON.parse(init.body) as { parameters: Record<string, unknown> };
      body.parameters.storageUri = 'gs://proxy-bucket/images';
      return fetch(input, { ...init, body: JSON.stringify(body) });
    };
    const p = provider({ fetch: proxying });
    vertexServer.enqueue({ type: 'filter', count: 1 });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001', { n: 3 }), contextFor()));
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', retryable: false });
    expect((error as unknown as BackendError).reason).toBe('malformed_response');
    expect(error.message).toMatch(
      /wrote 2 image\(s\) to Cloud Storage.*withheld the others: Your current safety filter/,
    );
    expect(error.details).toMatchObject({ filtered_count: 1, labels: ['provider:google:rai:filtered'] });
  });

  it('returns the images that came back and reports gcsUri entries as failed, never retried (issue 20.7)', async () => {
    const png = drawTestImage({ width: 1024, height: 1024 });
    const answer = {
      predictions: [
        { mimeType: 'image/png', bytesBase64Encoded: Buffer.from(png).toString('base64') },
        { mimeType: 'image/png', gcsUri: 'gs://bucket/sample_1.png' },
        { raiFilteredReason: 'Your current safety filter threshold filtered out 1 generated images.' },
      ],
    };
    const p = provider({ fetch: async () => Response.json(answer) });
    const result = await p.generate(callFor(p, 'imagen-4.0-generate-001', { n: 3 }), contextFor());
    expect(result.images).toHaveLength(1);
    expect(result.failedCount).toBe(1);
    expect(result.filteredCount).toBe(1);
    expect(result.labels).toEqual(['provider:google:rai:filtered', 'provider:google:gcs_output']);
    expect(result.warnings?.map((w) => w.type)).toEqual(['content_filtered', 'partial']);
  });

  it('treats a blocked prompt (400 INVALID_ARGUMENT, RAI message) as content_filtered', async () => {
    const p = provider();
    vertexServer.enqueue('prompt_blocked');
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('content_filtered');
    expect((error as unknown as BackendError).upstreamStatus).toBe(400);
    expect(error.retryable).toBe(false);
  });

  it('does not count the Positive Prompt entry as an image, and labels flagged images', async () => {
    const p = provider();
    vertexServer.enqueue({ type: 'flagged', categories: ['Violence'] });
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001', { n: 2, providerOptions: { includeSafetyAttributes: true } }),
      contextFor(),
    );
    expect(body().parameters.includeSafetyAttributes).toBe(true);
    expect(result.images).toHaveLength(2);
    expect(result.filteredCount).toBeUndefined();
    expect(result.images[0]!.labels).toEqual(['provider:google:safety:violence']);
  });

  it.each([
    ['permission_denied', 'upstream_auth', false, 403],
    ['unauthorized', 'upstream_auth', false, 401],
    ['not_found', 'model_unavailable', false, 404],
    ['server_error', 'upstream_unavailable', true, 500],
    ['unavailable', 'upstream_unavailable', true, 503],
  ] as const)('maps %s to %s', async (scenario, reason, retryable, status) => {
    const p = provider();
    vertexServer.enqueue(scenario);
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe(reason);
    expect((error as unknown as BackendError).upstreamStatus).toBe(status);
    expect(error.retryable).toBe(retryable);
    expect(error.message).not.toContain(token);
  });

  it('maps 429 RESOURCE_EXHAUSTED to rate_limited with RetryInfo as retryAfterMs', async () => {
    const p = provider();
    vertexServer.enqueue('rate_limited');
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('rate_limited');
    expect((error as unknown as BackendError).upstreamCode).toBe('RATE_LIMIT_EXCEEDED');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(2000);
  });

  it('keeps a 429 without RetryInfo retryable with no invented wait', async () => {
    const p = provider();
    vertexServer.enqueue({ type: 'rate_limited', retryDelay: null });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('maps a model the server does not know (a user-added id) to model_unavailable', async () => {
    const p = provider({
      models: [
        {
          id: 'imagen-9.0-generate-001',
          provider: 'google',
          capabilities: { aspectRatios: { '1:1': '1024x1024' }, maxImagesPerCall: 4, maxPromptLength: 1000 },
          providerData: { family: 'imagen' },
        },
      ],
    });
    const error = await rejection(p.generate(callFor(p, 'imagen-9.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('model_unavailable');
    expect(error.message).toMatch(/was not found/);
  });

  it("maps a plain 400 INVALID_ARGUMENT to upstream_rejected, not retryable, with Google's message", async () => {
    const base = provider().models.find((model) => model.id === 'imagen-4.0-fast-generate-001')!;
    // A user entry claiming 8 per call: Google refuses sampleCount 5.
    const p = provider({
      models: [{ ...base, capabilities: { ...base.capabilities, maxImagesPerCall: 8 } }],
    });
    const error = await rejection(
      p.generate(callFor(p, 'imagen-4.0-fast-generate-001', { n: 5 }), contextFor()),
    );
    expect((error as unknown as BackendError).reason).toBe('upstream_rejected');
    expect((error as unknown as BackendError).upstreamCode).toBe('INVALID_ARGUMENT');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/sampleCount must be between 1 and 4/);
  });

  it('maps a non-JSON error page (a proxy 502) to retryable upstream_unavailable', async () => {
    const html = async () =>
      new Response('<html><body>Bad gateway</body></html>', {
        status: 502,
        headers: { 'content-type': 'text/html' },
      });
    const p = provider({ fetch: html });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_unavailable');
    expect((error as unknown as BackendError).upstreamStatus).toBe(502);
    expect(error.retryable).toBe(true);
  });

  it('maps a refused connection to retryable upstream_unavailable', async () => {
    const p = provider({ baseURL: 'http://127.0.0.1:9' });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_unavailable');
    expect(error.message).not.toContain(token);
  });

  it.each(['malformed', 'truncated'] as const)('maps a %s body to malformed_response', async (scenario) => {
    const p = provider();
    vertexServer.enqueue(scenario);
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('malformed_response');
  });

  it('stops with ABORTED when the caller aborts a slow answer', async () => {
    const p = provider();
    vertexServer.enqueue('slow');
    const controller = new AbortController();
    const pending = p.generate(
      callFor(p, 'imagen-4.0-generate-001'),
      contextFor({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 30);
    const error = await rejection(pending);
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
  });

  it('stops with TIMEOUT at the deadline', async () => {
    const p = provider();
    vertexServer.enqueue('slow');
    const error = await rejection(
      p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor({ signal: AbortSignal.timeout(40) })),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe('TIMEOUT');
  });

  it('fails before any request when the signal has already fired', async () => {
    const p = provider();
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor({ signal: controller.signal })),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
    expect(vertexServer.requests).toHaveLength(0);
  });

  it('serves concurrent calls independently', async () => {
    const p = provider();
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        p.generate(callFor(p, 'imagen-4.0-fast-generate-001', { n, prompt: `p${n}` }), contextFor()),
      ),
    );
    expect(results.map((result) => result.images.length)).toEqual([1, 2, 3, 4]);
  });

  it('warns that `user` is not sent', async () => {
    const p = provider();
    const result = await p.generate(callFor(p, 'imagen-4.0-generate-001', { user: 'user-1' }), contextFor());
    expect(result.warnings).toContainEqual(expect.objectContaining({ type: 'unsupported', param: 'user' }));
    expect(JSON.stringify(body())).not.toContain('user-1');
  });
});

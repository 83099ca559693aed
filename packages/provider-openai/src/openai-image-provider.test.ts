import { BackendError, type FetchFunction, priceFromUsage, sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callFor, contextFor, expectNoSecret, rejection } from './openai.test-helpers.ts';
import { DALL_E_3_NO_REWRITE_PREFIX } from './openai-catalog.ts';
import { createOpenAIProvider, type OpenAIProviderSettings } from './openai-provider.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function provider(settings: OpenAIProviderSettings = {}) {
  return createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: server.baseURL, ...settings });
}

function lastBody(): Record<string, unknown> {
  const last = server.requests.at(-1);
  if (!last) throw new Error('no request recorded');
  return last.body as Record<string, unknown>;
}

describe('request mapping per model (exact JSON bodies)', () => {
  it('gpt-image-2: flexible size, GPT-only fields, no response_format; usage mapped and priced', async () => {
    const openai = provider();
    const call = callFor(openai, 'gpt-image-2', {
      size: '64x32',
      quality: 'low',
      outputFormat: 'webp',
      outputCompression: 80,
      background: 'opaque',
      moderation: 'low',
      user: 'user-42',
    });
    const result = await openai.generate(call, contextFor());
    expect(lastBody()).toEqual({
      model: 'gpt-image-2',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 1,
      size: '64x32',
      quality: 'low',
      output_format: 'webp',
      output_compression: 80,
      background: 'opaque',
      moderation: 'low',
      user: 'user-42',
    });
    expect(server.requests.at(-1)?.url).toBe('/v1/images/generations');
    expect(result.images).toHaveLength(1);
    expect(result.images[0]!.mediaType).toBe('image/webp');
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 64, height: 32 });
    expect(result.usage).toEqual({
      inputTextTokens: 9,
      inputImageTokens: 0,
      outputImageTokens: 1,
      outputTextTokens: 0,
      totalTokens: 10,
    });
    expect(result.response?.upstreamRequestId).toMatch(/^req_[a-f0-9]{32}$/);
    expect(result.warnings).toBeUndefined();
  });

  it('gpt-image-2: warns that sizes above 2560x1440 and transparent backgrounds are not final', async () => {
    const openai = provider();
    const result = await openai.generate(
      callFor(openai, 'gpt-image-2', { size: '2880x1616', quality: 'low', background: 'transparent' }),
      contextFor(),
    );
    expect(result.warnings).toEqual([
      expect.objectContaining({
        type: 'other',
        param: 'size',
        message: expect.stringContaining('experimental'),
      }),
      expect.objectContaining({
        type: 'other',
        param: 'background',
        message: expect.stringContaining('preview'),
      }),
    ]);
    const standard = await openai.generate(
      callFor(openai, 'gpt-image-2', { size: '2560x1440', quality: 'low' }),
      contextFor(),
    );
    expect(standard.warnings).toBeUndefined();
    const older = await openai.generate(
      callFor(openai, 'gpt-image-1.5', { size: '1024x1024', background: 'transparent' }),
      contextFor(),
    );
    expect(older.warnings).toBeUndefined();
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 2880, height: 1616 });
  });

  it('gpt-image-2-2026-04-21: the snapshot id goes upstream as is', async () => {
    const openai = provider();
    await openai.generate(
      callFor(openai, 'gpt-image-2-2026-04-21', { size: '1024x1536', quality: 'medium' }),
      contextFor(),
    );
    expect(lastBody()).toEqual({
      model: 'gpt-image-2-2026-04-21',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 1,
      size: '1024x1536',
      quality: 'medium',
      output_format: 'png',
    });
  });

  it('gpt-image-1.5: defaults (size auto, quality auto, png) and n images of 1024x1024', async () => {
    const openai = provider();
    const result = await openai.generate(callFor(openai, 'gpt-image-1.5', { n: 2 }), contextFor());
    expect(lastBody()).toEqual({
      model: 'gpt-image-1.5',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 2,
      size: 'auto',
      quality: 'auto',
      output_format: 'png',
    });
    expect(result.images).toHaveLength(2);
    for (const image of result.images) {
      expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/png', width: 1024, height: 1024 });
      expect(image.revisedPrompt).toBeUndefined();
    }
    // Usage tokens turn into cost through the catalog's token prices.
    const cost = priceFromUsage(callFor(openai, 'gpt-image-1.5').model, result.usage!);
    expect(cost).toBeCloseTo((9 * 5 + 2112 * 32) / 1_000_000, 6);
  });

  it.each(['gpt-image-1', 'gpt-image-1-mini'])(
    '%s: jpeg with compression and transparent refused for jpeg',
    async (id) => {
      const openai = provider();
      const result = await openai.generate(
        callFor(openai, id, {
          size: '1536x1024',
          quality: 'high',
          outputFormat: 'jpeg',
          outputCompression: 50,
        }),
        contextFor(),
      );
      expect(lastBody()).toEqual({
        model: id,
        prompt: 'a red lighthouse on a cliff at dusk',
        n: 1,
        size: '1536x1024',
        quality: 'high',
        output_format: 'jpeg',
        output_compression: 50,
      });
      expect(sniffImage(result.images[0]!.bytes)).toEqual({
        mediaType: 'image/jpeg',
        width: 1536,
        height: 1024,
      });
      const before = server.requests.length;
      const error = await rejection(
        openai.generate(
          callFor(openai, id, { outputFormat: 'jpeg', background: 'transparent' }),
          contextFor(),
        ),
      );
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.param).toBe('background');
      expect(server.requests.length).toBe(before);
    },
  );

  it('refuses output_compression with png instead of dropping it', async () => {
    const openai = provider();
    const error = await rejection(
      openai.generate(
        callFor(openai, 'gpt-image-1.5', { outputFormat: 'png', outputCompression: 40 }),
        contextFor(),
      ),
    );
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('output_compression');
    expect(server.requests).toHaveLength(0);
  });

  it('dall-e-3: style, hd, b64_json asked for, user passed, revised_prompt kept, no usage', async () => {
    const openai = provider();
    const result = await openai.generate(
      callFor(openai, 'dall-e-3', { size: '1792x1024', quality: 'hd', style: 'natural', user: 'u-1' }),
      contextFor(),
    );
    expect(lastBody()).toEqual({
      model: 'dall-e-3',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 1,
      size: '1792x1024',
      quality: 'hd',
      style: 'natural',
      response_format: 'b64_json',
      user: 'u-1',
    });
    expect(result.images[0]!.revisedPrompt).toMatch(/^a red lighthouse on a cliff at dusk, rendered/);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({
      mediaType: 'image/png',
      width: 1792,
      height: 1024,
    });
    expect(result.usage).toBeUndefined();
  });

  it('dall-e-3: disable_prompt_rewriting sends the documented prefix (off by default)', async () => {
    const openai = provider();
    await openai.generate(callFor(openai, 'dall-e-3'), contextFor());
    expect(lastBody().prompt).toBe('a red lighthouse on a cliff at dusk');
    const result = await openai.generate(
      callFor(openai, 'dall-e-3', { providerOptions: { disable_prompt_rewriting: true } }),
      contextFor(),
    );
    expect(lastBody().prompt).toBe(`${DALL_E_3_NO_REWRITE_PREFIX} a red lighthouse on a cliff at dusk`);
    expect(result.images[0]!.revisedPrompt).toBe('a red lighthouse on a cliff at dusk');
  });

  it('disable_prompt_rewriting is refused where it cannot apply, before any request', async () => {
    const openai = provider();
    const wrongModel = await rejection(
      openai.generate(
        callFor(openai, 'gpt-image-1.5', { providerOptions: { disable_prompt_rewriting: true } }),
        contextFor(),
      ),
    );
    expect(wrongModel.code).toBe('VALIDATION_ERROR');
    expect(wrongModel.param).toBe('provider_options.openai.disable_prompt_rewriting');
    const tooLong = await rejection(
      openai.generate(
        callFor(openai, 'dall-e-3', {
          prompt: 'x'.repeat(3990),
          providerOptions: { disable_prompt_rewriting: true },
        }),
        contextFor(),
      ),
    );
    expect(tooLong.param).toBe('provider_options.openai.disable_prompt_rewriting');
    expect(tooLong.message).toMatch(/at most \d+ characters/);
    const unknownOption = await rejection(
      openai.generate(
        callFor(openai, 'dall-e-3', { providerOptions: { disable_rewriting: true } }),
        contextFor(),
      ),
    );
    expect(unknownOption.code).toBe('VALIDATION_ERROR');
    expect(unknownOption.param).toBe('provider_options.openai');
    expect(server.requests).toHaveLength(0);
  });

  it('dall-e-2: n images in one call, standard quality, no style or GPT-only fields', async () => {
    const openai = provider();
    const result = await openai.generate(
      callFor(openai, 'dall-e-2', { n: 3, size: '256x256' }),
      contextFor(),
    );
    expect(lastBody()).toEqual({
      model: 'dall-e-2',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 3,
      size: '256x256',
      quality: 'standard',
      response_format: 'b64_json',
    });
    expect(result.images).toHaveLength(3);
    expect(result.images.every((image) => image.revisedPrompt === undefined)).toBe(true);
  });

  it('sends the key, organization, project and custom headers', async () => {
    const openai = provider({ organization: 'org-123', project: 'proj_456', headers: { 'x-trace': 'abc' } });
    await openai.generate(callFor(openai, 'dall-e-2', { size: '256x256' }), contextFor());
    const headers = server.requests.at(-1)!.headers;
    expect(headers.authorization).toBe(`Bearer ${FAKE_OPENAI_API_KEY}`);
    expect(headers['openai-organization']).toBe('org-123');
    expect(headers['openai-project']).toBe('proj_456');
    expect(headers['x-trace']).toBe('abc');
    expect(headers['content-type']).toBe('application/json');
  });
});

describe('response parsing', () => {
  it('downloads url answers without sending credentials', async () => {
    const openai = provider();
    server.enqueue({ type: 'url' });
    const result = await openai.generate(
      callFor(openai, 'dall-e-2', { n: 2, size: '256x256' }),
      contextFor(),
    );
    expect(result.images).toHaveLength(2);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({ mediaType: 'image/png', width: 256, height: 256 });
    const downloads = server.requests.filter((request) => request.url.startsWith('/fake-files/'));
    expect(downloads).toHaveLength(2);
    for (const download of downloads) expect(download.headers.authorization).toBeUndefined();
  });

  it('caps url downloads by size', async () => {
    const openai = provider({ maxDownloadBytes: 100 });
    server.enqueue({ type: 'url' });
    const error = await rejection(
      openai.generate(callFor(openai, 'dall-e-2', { size: '256x256' }), contextFor()),
    );
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'malformed_response' });
  });

  it('times out url downloads that never finish', async () => {
    const hangingFetch: FetchFunction = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.includes('/fake-files/')) return fetch(input, init);
      return new Promise((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    };
    const openai = provider({ fetch: hangingFetch, downloadTimeoutMs: 50 });
    server.enqueue({ type: 'url' });
    const error = await rejection(
      openai.generate(callFor(openai, 'dall-e-2', { size: '256x256' }), contextFor()),
    );
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'timeout', retryable: true });
  });

  it.each([
    ['not_an_image', /not a known image format/],
    ['wrong_format', /declared png but the image bytes are image\/jpeg/],
    ['garbage', /not valid JSON/],
    ['truncated', /cut short|not valid JSON/],
    ['empty', /without any image/],
  ] as const)('%s answers are malformed_response with the upstream request id', async (type, message) => {
    const openai = provider();
    server.enqueue({ type });
    const error = await rejection(
      openai.generate(callFor(openai, 'gpt-image-2', { size: '64x64' }), contextFor()),
    );
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'malformed_response', retryable: true });
    expect(error.message).toMatch(message);
    expect(error.upstreamRequestId).toMatch(/^req_/);
  });
});

describe('error normalization', () => {
  it('content_policy_violation is content_filtered and never retryable', async () => {
    const openai = provider();
    server.enqueue({ type: 'content_policy_violation' });
    const error = await rejection(openai.generate(callFor(openai, 'dall-e-3'), contextFor()));
    expect(error).toMatchObject({
      code: 'BACKEND_ERROR',
      reason: 'content_filtered',
      retryable: false,
      upstreamStatus: 400,
      upstreamCode: 'content_policy_violation',
    });
    expect(error.upstreamRequestId).toMatch(/^req_/);
    expectNoSecret(error, FAKE_OPENAI_API_KEY);
  });

  it('moderation_blocked is content_filtered with the categories as labels', async () => {
    const openai = provider();
    server.enqueue({ type: 'moderation_blocked', categories: ['violence', 'sexual'], stage: 'output' });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({
      reason: 'content_filtered',
      retryable: false,
      upstreamCode: 'moderation_blocked',
    });
    expect(error.details).toMatchObject({
      labels: ['provider:openai:moderation:violence', 'provider:openai:moderation:sexual'],
      moderation_stage: 'output',
    });
  });

  it.each([
    [{ retryAfter: '7' }, 7000],
    [{ retryAfter: '7', retryAfterMs: '1500.5' }, 1500.5],
    [
      {
        retryAfter: null,
        resetRequests: '6m0s',
        remainingRequests: '0',
        resetTokens: '1s',
        remainingTokens: '100',
      },
      360_000,
    ],
    [{ retryAfter: null, resetRequests: '250ms', resetTokens: '2s' }, 2000],
  ])('429 %j is rate_limited and retryable after %d ms', async (headers, expected) => {
    const openai = provider();
    server.enqueue({ type: 'rate_limited', ...headers });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({
      reason: 'rate_limited',
      retryable: true,
      upstreamStatus: 429,
      retryAfterMs: expected,
    });
  });

  it('429 with x-should-retry: false is not retryable', async () => {
    const openai = provider();
    server.enqueue({ type: 'rate_limited', shouldRetry: false });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({ reason: 'rate_limited', retryable: false });
  });

  it('429 insufficient_quota is insufficient_credit, not retryable', async () => {
    const openai = provider();
    server.enqueue({ type: 'insufficient_quota' });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({
      reason: 'insufficient_credit',
      retryable: false,
      upstreamCode: 'insufficient_quota',
    });
  });

  it('a wrong key is upstream_auth and its message never echoes the key, even masked', async () => {
    const wrongKey = 'sk-proj-wrongwrongwrong9876XYZW';
    const openai = provider({ apiKey: wrongKey });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({
      reason: 'upstream_auth',
      retryable: false,
      upstreamStatus: 401,
      upstreamCode: 'invalid_api_key',
    });
    expect(error.message).toMatch(/API key setting/);
    expectNoSecret(error, wrongKey);
    expect(error.message).not.toMatch(/sk-/);
  });

  it('403 is upstream_auth naming the model and the upstream code', async () => {
    const openai = provider();
    server.enqueue({ type: 'forbidden' });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_auth', retryable: false, upstreamStatus: 403 });
    expect(error.message).toContain('organization_must_be_verified');
    expect(error.message).toContain('gpt-image-1');
  });

  it('404 for a model added by configuration names the model', async () => {
    const openai = provider({
      models: [
        {
          id: 'gpt-image-9',
          provider: 'openai',
          capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 10, maxPromptLength: 32000 },
          providerData: { family: 'gpt-image' },
        },
      ],
    });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-9'), contextFor()));
    expect(error).toMatchObject({
      reason: 'model_unavailable',
      retryable: false,
      upstreamCode: 'model_not_found',
    });
    expect(error.message).toContain('model gpt-image-9');
  });

  it('400 invalid_request_error is upstream_rejected with the upstream param', async () => {
    // A configuration that claims a size the API does not serve: the API's answer reaches the caller intact.
    const openai = provider({
      models: [
        {
          id: 'dall-e-3',
          provider: 'openai',
          capabilities: {
            sizes: ['512x512'],
            maxImagesPerCall: 1,
            maxPromptLength: 4000,
            qualities: ['standard'],
          },
          providerData: { family: 'dall-e' },
        },
      ],
    });
    const error = await rejection(
      openai.generate(callFor(openai, 'dall-e-3', { size: '512x512' }), contextFor()),
    );
    expect(error).toMatchObject({
      reason: 'upstream_rejected',
      retryable: false,
      param: 'size',
      upstreamCode: 'invalid_size',
      upstreamStatus: 400,
    });
    expect(error.message).toContain('The size is not supported by this model');
  });

  it.each([500, 502, 503])('%d is upstream_unavailable, retryable, with the request id', async (status) => {
    const openai = provider();
    server.enqueue({ type: 'server_error', status, retryAfter: '3' });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({
      reason: 'upstream_unavailable',
      retryable: true,
      upstreamStatus: status,
      retryAfterMs: 3000,
    });
    expect(error.upstreamRequestId).toMatch(/^req_/);
  });

  it('a refused connection is upstream_unavailable', async () => {
    const closed = await startFakeOpenAIServer();
    const baseURL = closed.baseURL;
    await closed.close();
    const openai = provider({ baseURL });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_unavailable', retryable: true });
  });

  it('an error body echoing the key is redacted', async () => {
    const openai = provider();
    server.enqueue({
      type: 'error',
      status: 400,
      body: {
        error: {
          message: `bad request for key ${FAKE_OPENAI_API_KEY}`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error.reason).toBe('upstream_rejected');
    expect(error.message).toContain('[REDACTED]');
    expectNoSecret(error, FAKE_OPENAI_API_KEY);
  });
});

describe('keys', () => {
  it('reads OPENAI_API_KEY lazily, at the first call, so the catalog lists without a key', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    const openai = createOpenAIProvider({ baseURL: server.baseURL });
    expect(openai.models.map((model) => model.id)).toContain('gpt-image-2');
    const missing = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(missing.code).toBe('CONFIGURATION_ERROR');
    expect(missing.message).toContain('OPENAI_API_KEY');
    expect(server.requests).toHaveLength(0);
    vi.stubEnv('OPENAI_API_KEY', FAKE_OPENAI_API_KEY);
    const result = await openai.generate(callFor(openai, 'gpt-image-2', { size: '32x32' }), contextFor());
    expect(result.images).toHaveLength(1);
  });

  it("a tenant's own key (credentials.apiKey) overrides the configured one", async () => {
    const openai = provider({ apiKey: 'sk-configured-but-wrong-000000' });
    await openai.generate(
      callFor(openai, 'gpt-image-2', { size: '32x32' }),
      contextFor({ credentials: { apiKey: FAKE_OPENAI_API_KEY } }),
    );
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_API_KEY}`);
  });
});

describe('abort and timeout', () => {
  it('an already-aborted signal sends nothing and is ABORTED', async () => {
    const openai = provider();
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor({ signal: controller.signal })),
    );
    expect(error.code).toBe('ABORTED');
    expect(server.requests).toHaveLength(0);
  });

  it('a caller abort during a slow answer is ABORTED', async () => {
    const openai = provider();
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const controller = new AbortController();
    const pending = openai.generate(
      callFor(openai, 'gpt-image-1.5'),
      contextFor({ signal: controller.signal }),
    );
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    expect((await rejection(pending)).code).toBe('ABORTED');
  });

  it('the gateway deadline is TIMEOUT', async () => {
    const openai = provider();
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const error = await rejection(
      openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor({ signal: AbortSignal.timeout(50) })),
    );
    expect(error.code).toBe('TIMEOUT');
  });

  it("the provider's own timeoutMs is a retryable BackendError timeout", async () => {
    const openai = provider({ timeoutMs: 50 });
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'timeout', retryable: true });
    expect(BackendError.isBackendError(error)).toBe(true);
  });
});

describe('compatible servers', () => {
  it('any base URL, a custom id and upstream model names, with OpenAI retirements lifted', async () => {
    const compatible = createOpenAIProvider({
      id: 'acme',
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: `${server.baseURL}/`,
      servedBy: 'compatible',
      models: [
        {
          id: 'acme-painter',
          provider: 'acme',
          capabilities: {
            sizes: ['1024x1024', 'auto'],
            maxImagesPerCall: 4,
            maxPromptLength: 32000,
            outputFormats: ['png'],
          },
          providerData: { family: 'gpt-image', upstreamModel: 'gpt-image-1.5' },
        },
      ],
    });
    const dallE3 = compatible.models.find((model) => model.id === 'dall-e-3')!;
    expect(dallE3.lifecycle?.status).toBe('active');
    expect(dallE3.lifecycle?.note).toMatch(/OpenAI lists this model as retired \(shutdown 2026-05-12\)/);
    const result = await compatible.generate(
      callFor(compatible, 'acme-painter', { size: '1024x1024' }),
      contextFor(),
    );
    expect(server.requests.at(-1)!.url).toBe('/v1/images/generations');
    expect(lastBody()).toMatchObject({ model: 'gpt-image-1.5', size: '1024x1024' });
    expect(result.response?.modelId).toBe('gpt-image-1.5');
    const error = await rejection(
      compatible.generate(
        callFor(compatible, 'dall-e-3', { providerOptions: { disable_prompt_rewriting: 1 } }),
        contextFor(),
      ),
    );
    expect(error.param).toBe('provider_options.acme.disable_prompt_rewriting');
  });
});

describe('concurrency', () => {
  it('parallel calls each get their own images and request ids', async () => {
    const openai = provider();
    const prompts = ['one', 'two', 'three', 'four', 'five', 'six'];
    const results = await Promise.all(
      prompts.map((prompt) =>
        openai.generate(callFor(openai, 'gpt-image-2', { prompt, size: '48x48' }), contextFor()),
      ),
    );
    expect(server.requests).toHaveLength(prompts.length);
    expect(new Set(results.map((result) => result.response?.upstreamRequestId)).size).toBe(prompts.length);
    const distinct = new Set(
      results.map((result) => Buffer.from(result.images[0]!.bytes).toString('base64')),
    );
    expect(distinct.size).toBe(prompts.length);
    expect(new Set(server.requests.map((request) => (request.body as { prompt: string }).prompt))).toEqual(
      new Set(prompts),
    );
  });
});

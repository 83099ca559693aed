import { BackendError, type FetchFunction, sniffImage } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callFor, contextFor, failureOf, modelOf, TEST_KEY } from './stability.test-helpers.ts';
import {
  ONE_AND_A_HALF_MEGAPIXEL_RATIO_SIZES,
  ONE_MEGAPIXEL_RATIO_SIZES,
  SDXL_V1_SIZES,
  STABILITY_MODELS,
} from './stability-catalog.ts';
import {
  createStabilityProvider,
  STABILITY_CONTENT_FILTERED_LABEL,
  STABILITY_GENERATION_ERROR_LABEL,
  type StabilityProviderSettings,
} from './stability-provider.ts';
import {
  type FakeStabilityServer,
  type FakeStabilityServerOptions,
  startFakeStabilityServer,
} from './testing/index.ts';

let server: FakeStabilityServer;
const fetched: string[] = [];

const recordingFetch: FetchFunction = (input, init) => {
  fetched.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  return globalThis.fetch(input, init);
};

function providerFor(target: FakeStabilityServer, settings: StabilityProviderSettings = {}) {
  return createStabilityProvider({
    apiKey: TEST_KEY,
    baseURL: target.url,
    fetch: recordingFetch,
    ...settings,
  });
}

async function withServer<T>(
  options: FakeStabilityServerOptions,
  run: (s: FakeStabilityServer) => Promise<T>,
): Promise<T> {
  const own = await startFakeStabilityServer(options);
  try {
    return await run(own);
  } finally {
    await own.close();
  }
}

beforeAll(async () => {
  server = await startFakeStabilityServer();
});
afterEach(() => {
  // Every request of every test went to a fake server on 127.0.0.1, never anywhere else.
  for (const url of fetched) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  server.reset();
});
afterAll(async () => {
  await server.close();
});

describe('catalog', () => {
  it('parses every model and declares one image per v2beta call, ten per request', () => {
    for (const input of STABILITY_MODELS) {
      const model = modelDescriptorSchema.parse(input);
      expect(model.capabilities.qualities).toEqual([]);
      if ((model.providerData as { apiFamily: string }).apiFamily === 'v2beta') {
        expect(model.capabilities.maxImagesPerCall).toBe(1);
        expect(model.capabilities.maxImagesPerRequest).toBe(10);
        expect(Object.keys(model.capabilities.aspectRatios).sort()).toEqual(
          ['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21'].sort(),
        );
        expect(model.capabilities.maxSeed).toBe(4_294_967_294);
        expect(model.capabilities.outputFormats).toEqual(['png', 'jpeg', 'webp']);
      }
    }
    expect(STABILITY_MODELS.map((m) => m.id)).toEqual([
      'stable-image-ultra',
      'stable-image-core',
      'sd3.5-large',
      'sd3.5-large-turbo',
      'sd3.5-medium',
      'sd3.5-flash',
      'stable-diffusion-xl-1024-v1-0',
      'stable-image-inpaint',
      'stable-image-erase',
      'stable-image-outpaint',
      'stable-image-search-and-replace',
      'stable-image-remove-background',
    ]);
  });

  it('declares SDXL v1 with its nine sizes, ten samples per call and a deprecated lifecycle', () => {
    const sdxl = modelDescriptorSchema.parse(
      STABILITY_MODELS.find((m) => m.id === 'stable-diffusion-xl-1024-v1-0'),
    );
    expect(sdxl.capabilities.sizes).toEqual([...SDXL_V1_SIZES]);
    expect(sdxl.capabilities.maxImagesPerCall).toBe(10);
    expect(sdxl.capabilities.maxPromptLength).toBe(2000);
    expect(sdxl.capabilities.maxSeed).toBe(4_294_967_295);
    expect(sdxl.capabilities.outputFormats).toEqual(['png']);
    expect(sdxl.lifecycle.status).toBe('deprecated');
    expect(sdxl.lifecycle.note).toMatch(/UNCONFIRMED/);
  });

  it('prices credits at $0.01 by default and follows a configured credit price', () => {
    const usd = (provider: ReturnType<typeof createStabilityProvider>, id: string) =>
      modelOf(provider, id).pricing?.perImage[0]?.usd;
    const standard = createStabilityProvider({ apiKey: 'k' });
    expect(usd(standard, 'stable-image-ultra')).toBe(0.08);
    expect(usd(standard, 'stable-image-core')).toBe(0.03);
    expect(usd(standard, 'sd3.5-large')).toBe(0.065);
    expect(usd(standard, 'sd3.5-large-turbo')).toBe(0.04);
    expect(usd(standard, 'sd3.5-medium')).toBe(0.035);
    expect(usd(standard, 'sd3.5-flash')).toBe(0.025);
    const contract = createStabilityProvider({ apiKey: 'k', creditPriceUsd: 0.008 });
    expect(usd(contract, 'stable-image-core')).toBe(0.024);
  });

  it('uses per-endpoint ratio sizes and lets configuration replace them', () => {
    const provider = createStabilityProvider({
      apiKey: 'k',
      aspectRatioSizes: { core: { '1:1': '1536x1536' } },
    });
    expect(modelOf(provider, 'stable-image-core').capabilities.aspectRatios).toEqual({ '1:1': '1536x1536' });
    expect(modelOf(provider, 'sd3.5-large').capabilities.aspectRatios).toEqual(ONE_MEGAPIXEL_RATIO_SIZES);
    expect(
      modelOf(createStabilityProvider({ apiKey: 'k' }), 'stable-image-core').capabilities.aspectRatios,
    ).toEqual(ONE_AND_A_HALF_MEGAPIXEL_RATIO_SIZES);
  });

  it('adds and replaces models from configuration, and refuses malformed providerData at construction', () => {
    const provider = createStabilityProvider({
      apiKey: 'k',
      models: [
        {
          ...STABILITY_MODELS.find((m) => m.id === 'stable-diffusion-xl-1024-v1-0')!,
          id: 'my-sdxl',
          providerData: {
            apiFamily: 'v1',
            endpoint: '/v1/generation/my-sdxl/text-to-image',
            engine: 'my-sdxl',
          },
        },
        { ...STABILITY_MODELS.find((m) => m.id === 'sd3.5-flash')!, description: 'replaced' },
      ],
    });
    expect(provider.models.map((m) => m.id)).toContain('my-sdxl');
    expect(provider.models.filter((m) => m.id === 'sd3.5-flash')).toHaveLength(1);
    expect(provider.models.find((m) => m.id === 'sd3.5-flash')?.description).toBe('replaced');
    let caught: unknown;
    try {
      createStabilityProvider({
        apiKey: 'k',
        models: [{ ...STABILITY_MODELS[0]!, id: 'broken', providerData: { apiFamily: 'v3', endpoint: 'x' } }],
      });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('CONFIGURATION_ERROR');
    expect(String((caught as Error).message)).toContain("'broken'");
  });

  it('marks v1 active when the base URL is a self-hosted server', () => {
    const selfHosted = createStabilityProvider({ apiKey: 'k', baseURL: 'http://sdxl.internal:7860/' });
    expect(modelOf(selfHosted, 'stable-diffusion-xl-1024-v1-0').lifecycle.status).toBe('active');
  });

  it('refuses bad settings at construction with CONFIGURATION_ERROR', () => {
    const attempts: StabilityProviderSettings[] = [
      { baseURL: 'ftp://x' },
      { baseURL: 'not a url' },
      { headers: { authorization: 'Bearer other' } },
      { headers: { 'stability-client-id': 'x'.repeat(257) } },
      { contentFilter: 'ignore' as never },
      { responseFormat: 'base64' as never },
      { creditPriceUsd: -1 },
    ];
    for (const settings of attempts) {
      expect(() => createStabilityProvider({ apiKey: 'k', ...settings })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      );
    }
  });
});

describe('v2beta requests', () => {
  it('sends multipart fields for every mapped setting and reads raw image bytes by default', async () => {
    const provider = providerFor(server, { headers: { 'stability-client-id': 'my-app' } });
    const call = callFor(provider, 'stable-image-core', {
      aspectRatio: '16:9',
      size: ONE_AND_A_HALF_MEGAPIXEL_RATIO_SIZES['16:9'],
      negativePrompt: 'fog',
      seed: 1234,
      outputFormat: 'webp',
      style: 'cinematic',
      user: 'end-user-7',
    });
    const result = await provider.generate(call, contextFor());
    expect(server.requests).toHaveLength(1);
    const received = server.requests[0]!;
    expect(received.url).toBe('/v2beta/stable-image/generate/core');
    expect(received.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received.headers.accept).toBe('image/*');
    expect(received.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(received.headers['stability-client-id']).toBe('my-app');
    expect(received.headers['stability-client-user-id']).toBe('end-user-7');
    expect(received.fields).toEqual({
      prompt: 'a lighthouse at dusk',
      negative_prompt: 'fog',
      aspect_ratio: '16:9',
      seed: '1234',
      output_format: 'webp',
      style_preset: 'cinematic',
    });
    expect(result.images).toHaveLength(1);
    const image = result.images[0]!;
    expect(image.mediaType).toBe('image/webp');
    expect(image.seed).toBe(1234);
    expect(image.labels).toBeUndefined();
    expect(sniffImage(image.bytes)).toMatchObject({ mediaType: 'image/webp', width: 1664, height: 960 });
    expect(result.warnings).toBeUndefined();
    expect(result.response?.upstreamRequestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reads the JSON reply format ({image, finish_reason, seed}) when configured', async () => {
    const provider = providerFor(server, { responseFormat: 'json' });
    const result = await provider.generate(
      callFor(provider, 'sd3.5-medium', {
        seed: 42,
        outputFormat: 'jpeg',
        aspectRatio: '9:16',
        size: '768x1344',
      }),
      contextFor(),
    );
    expect(server.requests[0]!.headers.accept).toBe('application/json');
    expect(server.requests[0]!.fields.model).toBe('sd3.5-medium');
    expect(result.images[0]!.seed).toBe(42);
    expect(result.images[0]!.mediaType).toBe('image/jpeg');
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 768, height: 1344 });
  });

  it('produces the declared pixel size for every ratio of every v2beta endpoint', async () => {
    const provider = providerFor(server);
    for (const id of ['stable-image-ultra', 'stable-image-core', 'sd3.5-flash']) {
      const model = modelOf(provider, id);
      for (const [ratio, size] of Object.entries(model.capabilities.aspectRatios)) {
        const result = await provider.generate(
          callFor(provider, id, { aspectRatio: ratio, size }),
          contextFor(),
        );
        const sniffed = sniffImage(result.images[0]!.bytes)!;
        expect(`${sniffed.width}x${sniffed.height}`, `${id} ${ratio}`).toBe(size);
        expect(result.warnings).toBeUndefined();
      }
    }
    expect(server.requests.map((r) => r.fields.aspect_ratio)).toHaveLength(27);
  });

  it('maps a ratio size without an explicit ratio to its aspect_ratio', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'sd3.5-large', { size: '1536x640' });
    delete call.aspectRatio;
    await provider.generate(call, contextFor());
    expect(server.requests[0]!.fields.aspect_ratio).toBe('21:9');
  });

  it('refuses, before any request, a size or ratio the model does not declare', async () => {
    const provider = providerFor(server);
    const bySize = callFor(provider, 'sd3.5-large', { size: '1000x700' });
    delete bySize.aspectRatio;
    expect(await failureOf(provider.generate(bySize, contextFor()))).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'size',
    });
    const byRatio = callFor(provider, 'sd3.5-large', { aspectRatio: '4:3' });
    expect(await failureOf(provider.generate(byRatio, contextFor()))).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'aspect_ratio',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('sends the sd3 model variant and cfg_scale, and accepts the legacy id routed to the same variant', async () => {
    const provider = providerFor(server);
    await provider.generate(
      callFor(provider, 'sd3.5-flash', { providerOptions: { cfg_scale: 1.5 } }),
      contextFor(),
    );
    await provider.generate(
      callFor(provider, 'sd3.5-large', { providerOptions: { model: 'sd3-large' } }),
      contextFor(),
    );
    expect(server.requests[0]!.fields).toMatchObject({ model: 'sd3.5-flash', cfg_scale: '1.5' });
    expect(server.requests[1]!.fields.model).toBe('sd3-large');
    expect(server.creditsUsed).toBe(2.5 + 6.5);
  });

  it('refuses a model option that would switch to another (differently priced) variant', async () => {
    const provider = providerFor(server);
    const error = await failureOf(
      provider.generate(
        callFor(provider, 'sd3.5-flash', { providerOptions: { model: 'sd3.5-large' } }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'provider_options.stability.model' });
    expect(error.message).toContain("'sd3.5-large'");
    expect(server.requests).toHaveLength(0);
  });

  it('checks provider options per endpoint before any request', async () => {
    const provider = providerFor(server);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['stable-image-core', { steps: 30 }, 'provider_options.stability.steps'],
      ['stable-image-core', { cfg_scale: 3 }, 'provider_options.stability.cfg_scale'],
      ['stable-image-ultra', { style_preset: 'anime' }, 'provider_options.stability.style_preset'],
      ['sd3.5-large', { sampler: 'K_EULER' }, 'provider_options.stability.sampler'],
      ['sd3.5-large', { cfg_scale: 99 }, 'provider_options.stability.cfg_scale'],
      ['sd3.5-large', { style_preset: 'watercolour' }, 'provider_options.stability.style_preset'],
      ['sd3.5-large', { typo_field: 1 }, 'provider_options.stability.typo_field'],
    ];
    for (const [id, options, param] of cases) {
      const error = await failureOf(
        provider.generate(callFor(provider, id, { providerOptions: options }), contextFor()),
      );
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'VALIDATION_ERROR', param });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('takes a style preset from the options, and refuses one that contradicts style', async () => {
    const provider = providerFor(server);
    await provider.generate(
      callFor(provider, 'stable-image-core', { providerOptions: { style_preset: 'anime' } }),
      contextFor(),
    );
    expect(server.requests[0]!.fields.style_preset).toBe('anime');
    const error = await failureOf(
      provider.generate(
        callFor(provider, 'stable-image-core', {
          style: 'origami',
          providerOptions: { style_preset: 'anime' },
        }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'provider_options.stability.style_preset',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('warns that seed 0 means random and reports the seed actually used', async () => {
    const provider = providerFor(server);
    const result = await provider.generate(callFor(provider, 'stable-image-core', { seed: 0 }), contextFor());
    expect(server.requests[0]!.fields.seed).toBe('0');
    expect(result.images[0]!.seed).toBeGreaterThan(0);
    expect(result.warnings).toEqual([expect.objectContaining({ param: 'seed' })]);
  });

  it('warns when the image comes back at another size than the catalog declares', async () => {
    const provider = providerFor(server, { aspectRatioSizes: { sd3: { '1:1': '1152x1152' } } });
    const result = await provider.generate(callFor(provider, 'sd3.5-medium'), contextFor());
    expect(result.images).toHaveLength(1);
    expect(result.warnings).toEqual([
      expect.objectContaining({ param: 'size', from: '1152x1152', to: '1024x1024', type: 'other' }),
    ]);
  });

  it('refuses a v2beta call for more than one image (the catalog must declare maxImagesPerCall 1)', async () => {
    const provider = providerFor(server);
    const error = await failureOf(
      provider.generate(callFor(provider, 'stable-image-core', { n: 2 }), contextFor()),
    );
    expect(error.code).toBe('CONFIGURATION_ERROR');
    expect(server.requests).toHaveLength(0);
  });

  it('keeps concurrent calls apart (each gets its own seed and bytes)', async () => {
    const provider = providerFor(server);
    const results = await Promise.all(
      [11, 12, 13, 14, 15].map((seed) =>
        provider.generate(callFor(provider, 'sd3.5-flash', { seed }), contextFor()),
      ),
    );
    expect(results.map((r) => r.images[0]!.seed)).toEqual([11, 12, 13, 14, 15]);
    const digests = new Set(
      results.map((r) => Buffer.from(r.images[0]!.bytes).toString('base64').slice(-200)),
    );
    expect(digests.size).toBe(5);
    expect(server.requests).toHaveLength(5);
  });
});

describe('base URL', () => {
  it('sends every request, of both API families, to the configured base URL and nowhere else', async () => {
    const seen: string[] = [];
    const provider = providerFor(server, {
      fetch: (input, init) => {
        seen.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        return globalThis.fetch(input, init);
      },
    });
    await provider.generate(callFor(provider, 'stable-image-ultra'), contextFor());
    await provider.generate(callFor(provider, 'sd3.5-medium'), contextFor());
    await provider.generate(callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 2 }), contextFor());
    server.enqueue('server_error');
    await failureOf(provider.generate(callFor(provider, 'stable-image-core'), contextFor()));
    expect(seen).toEqual([
      `${server.url}/v2beta/stable-image/generate/ultra`,
      `${server.url}/v2beta/stable-image/generate/sd3`,
      `${server.url}/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`,
      `${server.url}/v2beta/stable-image/generate/core`,
    ]);
    expect(server.requests).toHaveLength(4);
  });
});

describe('credentials', () => {
  it('reads STABILITY_API_KEY lazily, at the first call', async () => {
    const previous = process.env.STABILITY_API_KEY;
    delete process.env.STABILITY_API_KEY;
    try {
      const provider = createStabilityProvider({ baseURL: server.url, fetch: recordingFetch });
      const missing = await failureOf(
        provider.generate(callFor(provider, 'stable-image-core'), contextFor()),
      );
      expect(missing.code).toBe('CONFIGURATION_ERROR');
      expect(missing.message).toContain('STABILITY_API_KEY');
      await expect(provider.verify!()).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
      expect(server.requests).toHaveLength(0);
      process.env.STABILITY_API_KEY = TEST_KEY;
      await provider.generate(callFor(provider, 'stable-image-core'), contextFor());
      expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    } finally {
      if (previous === undefined) delete process.env.STABILITY_API_KEY;
      else process.env.STABILITY_API_KEY = previous;
    }
  });

  it("uses a tenant's own key (bring-your-own-key) over the configured one", async () => {
    await withServer({ apiKeys: [TEST_KEY, 'sk-tenant-own-key-123'] }, async (own) => {
      const provider = providerFor(own);
      await provider.generate(
        callFor(provider, 'stable-image-core'),
        contextFor({ credentials: { apiKey: 'sk-tenant-own-key-123' } }),
      );
      expect(own.requests[0]!.headers.authorization).toBe('Bearer sk-tenant-own-key-123');
    });
  });
});

describe('v1 SDXL', () => {
  it('sends the JSON body and reads artifacts with per-image seeds', async () => {
    const provider = providerFor(server);
    const result = await provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0', {
        n: 3,
        size: '1344x768',
        seed: 100,
        negativePrompt: 'blurry',
        style: 'photographic',
        providerOptions: {
          steps: 30,
          sampler: 'K_EULER',
          cfg_scale: 7,
          clip_guidance_preset: 'FAST_BLUE',
          samples: 3,
        },
      }),
      contextFor(),
    );
    const received = server.requests[0]!;
    expect(received.url).toBe('/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image');
    expect(received.headers.accept).toBe('application/json');
    expect(received.json).toEqual({
      text_prompts: [
        { text: 'a lighthouse at dusk', weight: 1 },
        { text: 'blurry', weight: -1 },
      ],
      width: 1344,
      height: 768,
      samples: 3,
      seed: 100,
      cfg_scale: 7,
      steps: 30,
      sampler: 'K_EULER',
      clip_guidance_preset: 'FAST_BLUE',
      style_preset: 'photographic',
    });
    expect(result.images.map((i) => i.seed)).toEqual([100, 101, 102]);
    for (const image of result.images) {
      expect(sniffImage(image.bytes)).toMatchObject({ mediaType: 'image/png', width: 1344, height: 768 });
    }
  });

  it('asks for raw PNG for a single image and reads the finish-reason and seed headers', async () => {
    const provider = providerFor(server);
    const result = await provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0', { seed: 9 }),
      contextFor(),
    );
    expect(server.requests[0]!.headers.accept).toBe('image/png');
    expect(result.images[0]!.seed).toBe(9);
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 1024, height: 1024 });
  });

  it('reads the bare-array artifacts shape the v1 spec schema describes', async () => {
    const unwrap: FetchFunction = async (input, init) => {
      const response = await recordingFetch(input, init);
      const body = (await response.json()) as { artifacts: unknown[] };
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(JSON.stringify(body.artifacts), { status: 200, headers });
    };
    const provider = providerFor(server, { fetch: unwrap });
    const result = await provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 2 }),
      contextFor(),
    );
    expect(result.images).toHaveLength(2);
  });

  it('refuses width, height or samples options that contradict size and n', async () => {
    const provider = providerFor(server);
    const id = 'stable-diffusion-xl-1024-v1-0';
    for (const [options, param] of [
      [{ width: 1152 }, 'provider_options.stability.width'],
      [{ height: 640 }, 'provider_options.stability.height'],
      [{ samples: 4 }, 'provider_options.stability.samples'],
      [{ model: 'sd3.5-large' }, 'provider_options.stability.model'],
    ] as const) {
      const error = await failureOf(
        provider.generate(callFor(provider, id, { n: 2, providerOptions: options }), contextFor()),
      );
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('maps the SDXL size whitelist rejection to upstream_rejected naming size', async () => {
    const provider = providerFor(server);
    const error = await failureOf(
      provider.generate(
        callFor(provider, 'stable-diffusion-xl-1024-v1-0', { size: '1024x768' }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      code: 'BACKEND_ERROR',
      reason: 'upstream_rejected',
      param: 'size',
      upstreamCode: 'invalid_sdxl_v1_dimensions',
      upstreamStatus: 400,
      retryable: false,
    });
  });

  it('answers a retired engine as model_unavailable', async () => {
    await withServer({ retiredModels: ['stable-diffusion-xl-1024-v1-0'] }, async (own) => {
      const provider = providerFor(own);
      const error = await failureOf(
        provider.generate(callFor(provider, 'stable-diffusion-xl-1024-v1-0'), contextFor()),
      );
      expect(error).toMatchObject({ reason: 'model_unavailable', upstreamStatus: 404, retryable: false });
    });
  });

  it('talks to a self-hosted server through baseURL with a user-added engine', async () => {
    await withServer({ v1Engines: { 'my-sdxl-finetune': 'sdxl' } }, async (own) => {
      const provider = providerFor(own, {
        baseURL: `${own.url}/`,
        models: [
          {
            ...STABILITY_MODELS.find((m) => m.id === 'stable-diffusion-xl-1024-v1-0')!,
            id: 'my-sdxl-finetune',
            providerData: {
              apiFamily: 'v1',
              endpoint: '/v1/generation/my-sdxl-finetune/text-to-image',
              engine: 'my-sdxl-finetune',
            },
          },
        ],
      });
      const result = await provider.generate(
        callFor(provider, 'my-sdxl-finetune', { size: '832x1216' }),
        contextFor(),
      );
      expect(own.requests[0]!.url).toBe('/v1/generation/my-sdxl-finetune/text-to-image');
      expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 832, height: 1216 });
    });
  });
});

describe('safety', () => {
  it('withholds a CONTENT_FILTERED image and fails with content_filtered by default (raw reply)', async () => {
    const provider = providerFor(server);
    server.enqueue('content_filtered');
    const error = await failureOf(provider.generate(callFor(provider, 'stable-image-core'), contextFor()));
    expect(error).toMatchObject({
      code: 'BACKEND_ERROR',
      reason: 'content_filtered',
      upstreamCode: 'CONTENT_FILTERED',
      retryable: false,
    });
    expect(server.requests[0]!.status).toBe(200);
  });

  it('withholds a CONTENT_FILTERED image in the JSON reply format too', async () => {
    const provider = providerFor(server, { responseFormat: 'json' });
    server.enqueue({ type: 'content_filtered' });
    const error = await failureOf(provider.generate(callFor(provider, 'sd3.5-large'), contextFor()));
    expect(error).toMatchObject({ reason: 'content_filtered', retryable: false });
  });

  it('returns a CONTENT_FILTERED image labelled, with a warning, under the flag policy', async () => {
    for (const responseFormat of ['image', 'json'] as const) {
      const provider = providerFor(server, { contentFilter: 'flag', responseFormat });
      server.enqueue('content_filtered');
      const result = await provider.generate(callFor(provider, 'stable-image-core'), contextFor());
      expect(result.images).toHaveLength(1);
      expect(result.images[0]!.labels).toEqual([STABILITY_CONTENT_FILTERED_LABEL]);
      expect(result.labels).toEqual([STABILITY_CONTENT_FILTERED_LABEL]);
      expect(result.warnings).toEqual([expect.objectContaining({ type: 'content_filtered' })]);
      expect(result.filteredCount).toBeUndefined();
    }
  });

  it('on v1, withholds only the filtered artifacts and reports how many (fail policy)', async () => {
    const provider = providerFor(server);
    server.enqueue({ type: 'content_filtered', count: 1 });
    const result = await provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 3, seed: 5 }),
      contextFor(),
    );
    expect(result.images.map((i) => i.seed)).toEqual([6, 7]);
    expect(result.filteredCount).toBe(1);
    expect(result.images.every((i) => i.labels === undefined)).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ type: 'content_filtered' })]);
  });

  it('on v1, fails when every artifact is filtered, and flags them under the flag policy', async () => {
    const failing = providerFor(server);
    server.enqueue('content_filtered');
    expect(
      await failureOf(
        failing.generate(callFor(failing, 'stable-diffusion-xl-1024-v1-0', { n: 2 }), contextFor()),
      ),
    ).toMatchObject({ reason: 'content_filtered' });
    const flagging = providerFor(server, { contentFilter: 'flag' });
    server.enqueue({ type: 'content_filtered', count: 1 });
    const result = await flagging.generate(
      callFor(flagging, 'stable-diffusion-xl-1024-v1-0', { n: 2 }),
      contextFor(),
    );
    expect(result.images.map((i) => i.labels)).toEqual([[STABILITY_CONTENT_FILTERED_LABEL], undefined]);
  });

  it('on v1, keeps the good images of a SUCCESS + CONTENT_FILTERED + ERROR answer and reports the rest (issue 20.5)', async () => {
    const provider = providerFor(server);
    server.enqueue({ type: 'mixed_artifacts', filtered: 1, failed: 1 });
    const result = await provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 3, seed: 5 }),
      contextFor(),
    );
    expect(result.images.map((i) => i.seed)).toEqual([7]);
    expect(sniffImage(result.images[0]!.bytes)?.mediaType).toBe('image/png');
    expect(result.filteredCount).toBe(1);
    expect(result.failedCount).toBe(1);
    expect(result.labels).toEqual([STABILITY_CONTENT_FILTERED_LABEL, STABILITY_GENERATION_ERROR_LABEL]);
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'content_filtered' }),
      expect.objectContaining({ type: 'partial', param: 'n', from: 3, to: 1 }),
    ]);
    expect(result.warnings?.[1]?.message).toMatch(/1 of 3 images.*not retried/);
    expect(server.requests).toHaveLength(1);
  });

  it('on v1, an answer whose artifacts all failed stays a retryable error; filtered + failed is content_filtered', async () => {
    const provider = providerFor(server);
    server.enqueue({ type: 'mixed_artifacts', failed: 2 });
    expect(
      await failureOf(
        provider.generate(callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 2 }), contextFor()),
      ),
    ).toMatchObject({ reason: 'upstream_unavailable', upstreamCode: 'ERROR', retryable: true });
    server.enqueue({ type: 'mixed_artifacts', filtered: 1, failed: 1 });
    const error = await failureOf(
      provider.generate(callFor(provider, 'stable-diffusion-xl-1024-v1-0', { n: 2 }), contextFor()),
    );
    expect(error).toMatchObject({ reason: 'content_filtered', retryable: false });
    expect(error.message).toContain('1 failed');
  });

  it('maps 403 content_moderation to content_filtered, not retryable', async () => {
    const provider = providerFor(server);
    server.enqueue('moderation');
    const error = await failureOf(provider.generate(callFor(provider, 'stable-image-ultra'), contextFor()));
    expect(error).toMatchObject({
      reason: 'content_filtered',
      upstreamStatus: 403,
      upstreamCode: 'content_moderation',
      retryable: false,
    });
  });

  it('maps the fake server word lists to the two safety outcomes', async () => {
    await withServer({ moderatedWords: ['forbidden'], filteredWords: ['blurme'] }, async (own) => {
      const provider = providerFor(own);
      const moderated = await failureOf(
        provider.generate(
          callFor(provider, 'stable-image-core', { prompt: 'a forbidden thing' }),
          contextFor(),
        ),
      );
      expect(moderated).toMatchObject({ reason: 'content_filtered', upstreamStatus: 403 });
      const filtered = await failureOf(
        provider.generate(callFor(provider, 'stable-image-core', { prompt: 'please blurme' }), contextFor()),
      );
      expect(filtered).toMatchObject({ reason: 'content_filtered', upstreamStatus: 200 });
      expect(own.creditsUsed).toBe(3);
    });
  });
});

describe('errors', () => {
  const errorCases: Array<{
    scenario: Parameters<FakeStabilityServer['enqueue']>[0];
    expected: Record<string, unknown>;
  }> = [
    {
      scenario: 'unauthorized',
      expected: { reason: 'upstream_auth', upstreamStatus: 401, retryable: false },
    },
    {
      scenario: 'insufficient_credit',
      expected: { reason: 'insufficient_credit', upstreamStatus: 402, retryable: false },
    },
    {
      scenario: 'not_found',
      expected: { reason: 'model_unavailable', upstreamStatus: 404, retryable: false },
    },
    {
      scenario: 'invalid_language',
      expected: {
        reason: 'upstream_rejected',
        upstreamStatus: 422,
        upstreamCode: 'invalid_language',
        param: 'prompt',
      },
    },
    {
      scenario: 'rate_limited',
      expected: { reason: 'rate_limited', upstreamStatus: 429, retryable: true, retryAfterMs: undefined },
    },
    {
      scenario: { type: 'rate_limited', retryAfterSeconds: 7 },
      expected: { reason: 'rate_limited', retryable: true, retryAfterMs: 7_000 },
    },
    {
      scenario: 'server_error',
      expected: { reason: 'upstream_unavailable', upstreamStatus: 500, retryable: true },
    },
    {
      scenario: 'service_unavailable',
      expected: { reason: 'upstream_unavailable', upstreamStatus: 503, retryable: true },
    },
    { scenario: 'garbage', expected: { reason: 'malformed_response', retryable: true } },
    { scenario: 'truncated', expected: { reason: 'malformed_response', retryable: true } },
  ];

  for (const responseFormat of ['image', 'json'] as const) {
    for (const { scenario, expected } of errorCases) {
      it(`maps ${JSON.stringify(scenario)} (${responseFormat} replies, v2beta and v1) without echoing the key`, async () => {
        const provider = providerFor(server, { responseFormat });
        for (const id of ['stable-image-core', 'stable-diffusion-xl-1024-v1-0']) {
          server.enqueue(scenario);
          const error = await failureOf(provider.generate(callFor(provider, id), contextFor()));
          expect(BackendError.isBackendError(error)).toBe(true);
          expect(error, id).toMatchObject({ code: 'BACKEND_ERROR', ...expected });
          expect(error.message).not.toContain(TEST_KEY);
          expect(JSON.stringify(error.toJSON())).not.toContain(TEST_KEY);
        }
      });
    }
  }

  it('maps a 400 from server-side validation to upstream_rejected naming the field', async () => {
    const provider = providerFor(server);
    // Bypass the core's checks to reach the server's: a prompt over 10 000 characters.
    const error = await failureOf(
      provider.generate(callFor(provider, 'stable-image-core', { prompt: 'x'.repeat(10_001) }), contextFor()),
    );
    expect(error).toMatchObject({
      reason: 'upstream_rejected',
      upstreamStatus: 400,
      param: 'prompt',
      upstreamCode: 'bad_request',
    });
    expect(error.message).toContain('prompt: must be between 1 and 10000 characters');
    const ratio = providerFor(server, { aspectRatioSizes: { core: { '4:3': '1152x864' } } });
    const byRatio = await failureOf(
      ratio.generate(
        callFor(ratio, 'stable-image-core', { aspectRatio: '4:3', size: '1152x864' }),
        contextFor(),
      ),
    );
    expect(byRatio).toMatchObject({ reason: 'upstream_rejected', param: 'aspect_ratio' });
  });

  it('maps a request over the size limit (413) to upstream_rejected', async () => {
    await withServer({ maxRequestBytes: 2048 }, async (own) => {
      const provider = providerFor(own);
      const error = await failureOf(
        provider.generate(callFor(provider, 'stable-image-core', { prompt: 'y'.repeat(5000) }), contextFor()),
      );
      expect(error).toMatchObject({ reason: 'upstream_rejected', upstreamStatus: 413, retryable: false });
    });
  });

  it('maps an unknown endpoint (404) to model_unavailable', async () => {
    const provider = providerFor(server, {
      models: [
        {
          ...STABILITY_MODELS.find((m) => m.id === 'stable-image-core')!,
          id: 'stable-image-nova',
          providerData: {
            apiFamily: 'v2beta',
            endpoint: '/v2beta/stable-image/generate/nova',
            endpointKind: 'core',
          },
        },
      ],
    });
    const error = await failureOf(provider.generate(callFor(provider, 'stable-image-nova'), contextFor()));
    expect(error).toMatchObject({ reason: 'model_unavailable', upstreamStatus: 404 });
  });

  it('maps a real 402 when the account runs out of credits (and charges only successes)', async () => {
    await withServer({ credits: 5 }, async (own) => {
      const provider = providerFor(own);
      await provider.generate(callFor(provider, 'stable-image-core'), contextFor());
      const error = await failureOf(provider.generate(callFor(provider, 'stable-image-core'), contextFor()));
      expect(error).toMatchObject({ reason: 'insufficient_credit', upstreamStatus: 402 });
      expect(own.creditsUsed).toBe(3);
    });
  });

  it('maps connection failures to a retryable upstream_unavailable', async () => {
    const closed = await startFakeStabilityServer();
    const url = closed.url;
    await closed.close();
    const provider = createStabilityProvider({ apiKey: TEST_KEY, baseURL: url, fetch: recordingFetch });
    const error = await failureOf(provider.generate(callFor(provider, 'stable-image-core'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_unavailable', retryable: true });
  });
});

describe('rate limiting (the fake server’s sliding window)', () => {
  it('locks a key out after the window fills, for the lockout period, with no invented hint', async () => {
    let now = 1_000_000;
    await withServer(
      { rateLimit: { limit: 3, windowMs: 10_000, lockoutMs: 60_000 }, now: () => now },
      async (own) => {
        const provider = providerFor(own);
        const call = () => provider.generate(callFor(provider, 'sd3.5-flash', { seed: 1 }), contextFor());
        for (let i = 0; i < 3; i++) await call();
        const limited = await failureOf(call());
        expect(limited).toMatchObject({ reason: 'rate_limited', retryable: true });
        expect(limited.retryAfterMs).toBeUndefined();
        now += 59_000;
        expect(await failureOf(call())).toMatchObject({ reason: 'rate_limited' });
        now += 1_000;
        await call();
        expect(own.requests.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 200]);
      },
    );
  });

  it('lets exactly the limit through when requests arrive concurrently', async () => {
    await withServer({ rateLimit: { limit: 3, windowMs: 10_000, lockoutMs: 60_000 } }, async (own) => {
      const provider = providerFor(own);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          provider.generate(callFor(provider, 'sd3.5-flash', { seed: 2 }), contextFor()),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(rejected.map((o) => (o.reason as BackendError).reason)).toEqual([
        'rate_limited',
        'rate_limited',
        'rate_limited',
      ]);
    });
  });
});

describe('abort and timeout', () => {
  async function settled(target: FakeStabilityServer, index: number): Promise<boolean> {
    // Bounded wait for the server to notice the client left (no timing assertion: only an upper bound).
    for (let i = 0; i < 200 && !target.requests[index]?.clientAborted; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return target.requests[index]?.clientAborted ?? false;
  }

  it('stops with ABORTED when the caller aborts mid-request, and the server sees the disconnect', async () => {
    const provider = providerFor(server);
    server.enqueue({ type: 'slow', delayMs: 30_000 });
    const controller = new AbortController();
    const pending = provider.generate(
      callFor(provider, 'stable-image-core'),
      contextFor({ signal: controller.signal }),
    );
    await server.waitForRequests(1);
    controller.abort();
    expect(await failureOf(pending)).toMatchObject({ code: 'ABORTED' });
    expect(await settled(server, 0)).toBe(true);
    expect(server.creditsUsed).toBe(0);
  });

  it('stops with TIMEOUT when the deadline passes', async () => {
    const provider = providerFor(server);
    server.enqueue({ type: 'slow', delayMs: 30_000 });
    const controller = new AbortController();
    const pending = provider.generate(
      callFor(provider, 'stable-diffusion-xl-1024-v1-0'),
      contextFor({ signal: controller.signal }),
    );
    await server.waitForRequests(1);
    controller.abort(new DOMException('deadline passed', 'TimeoutError'));
    expect(await failureOf(pending)).toMatchObject({ code: 'TIMEOUT' });
  });

  it('makes no request at all when the signal has already fired', async () => {
    const provider = providerFor(server);
    const controller = new AbortController();
    controller.abort();
    expect(
      await failureOf(
        provider.generate(callFor(provider, 'stable-image-core'), contextFor({ signal: controller.signal })),
      ),
    ).toMatchObject({ code: 'ABORTED' });
    expect(server.requests).toHaveLength(0);
  });
});

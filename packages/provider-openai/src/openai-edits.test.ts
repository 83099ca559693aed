import { drawTestImage, priceFromUsage, sniffImage } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callFor, contextFor, expectNoSecret, rejection } from './openai.test-helpers.ts';
import { OPENAI_MODELS } from './openai-catalog.ts';
import { alphaMask, drawnInput, inputImage } from './openai-edit.test-helpers.ts';
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
  // servedBy compatible: dall-e-2 stays usable (OpenAI retired it; the fake still serves it).
  return createOpenAIProvider({
    apiKey: FAKE_OPENAI_API_KEY,
    baseURL: server.baseURL,
    servedBy: 'compatible',
  });
}

interface RecordedForm {
  fields: Record<string, string>;
  files: Array<{ field: string; filename: string; declaredType: string; size: number; sha256: string }>;
}
function lastForm(): RecordedForm {
  return server.requests.at(-1)!.body as RecordedForm;
}

describe('catalog: what each model edits, varies and streams', () => {
  const byId = new Map(OPENAI_MODELS.map((model) => [model.id, modelDescriptorSchema.parse(model)]));
  it('GPT image models edit up to 16 images with an alpha mask and stream 3 partial images', () => {
    for (const id of ['gpt-image-2', 'gpt-image-1.5', 'gpt-image-1', 'gpt-image-1-mini']) {
      const caps = byId.get(id)!.capabilities;
      expect(caps.edit).toMatchObject({ maxImages: 16, mask: { convention: 'alpha', required: false } });
      expect(caps.edit!.input.mediaTypes).toEqual(['image/png', 'image/jpeg', 'image/webp']);
      expect(caps.stream).toEqual({ maxPartialImages: 3, operations: ['generate', 'edit'] });
      expect(caps.variation).toBeUndefined();
    }
    expect(byId.get('gpt-image-1.5')!.capabilities.edit!.inputFidelity).toEqual(['low', 'high']);
    expect(byId.get('gpt-image-1-mini')!.capabilities.edit!.inputFidelity).toEqual([]);
  });
  it('dall-e-2 edits and varies one square PNG under 4 MB; dall-e-3 does neither', () => {
    const dallE2 = byId.get('dall-e-2')!.capabilities;
    expect(dallE2.edit).toMatchObject({
      maxImages: 1,
      input: { mediaTypes: ['image/png'], maxBytes: 4 * 1024 * 1024, square: true },
    });
    expect(dallE2.variation!.input).toEqual(dallE2.edit!.input);
    expect(dallE2.stream).toBeUndefined();
    const dallE3 = byId.get('dall-e-3')!.capabilities;
    expect(dallE3.edit ?? dallE3.variation ?? dallE3.stream).toBeUndefined();
  });
  it('Azure deployments declare edits and streaming but no variations', () => {
    const azure = createAzureOpenAIProvider({
      endpoint: server.url,
      apiKey: AZURE_KEY,
      deployments: { d2: 'dall-e-2', g: 'gpt-image-1.5' },
    });
    const [d2, g] = azure.models.map((model) => modelDescriptorSchema.parse(model).capabilities);
    expect(d2!.edit).toBeDefined();
    expect(d2!.variation).toBeUndefined();
    expect(g!.edit).toBeDefined();
    expect(g!.stream).toBeDefined();
  });
});

describe('edit(): multipart exactly as the API takes it', () => {
  it('one image goes as `image`, with the fields; the images are drawn from the input', async () => {
    const provider = openai();
    const image = drawnInput(64, 64, 'png', 1);
    const call = callFor(provider, 'gpt-image-1.5', {
      operation: 'edit',
      images: [image],
      size: '1024x1024',
      quality: 'low',
      user: 'u-1',
    });
    const result = await provider.edit!(call, contextFor());
    expect(server.requests.at(-1)!.url).toBe('/v1/images/edits');
    const form = lastForm();
    expect(form.fields).toEqual({
      model: 'gpt-image-1.5',
      prompt: 'a red lighthouse on a cliff at dusk',
      n: '1',
      size: '1024x1024',
      quality: 'low',
      output_format: 'png',
      user: 'u-1',
    });
    expect(form.files).toEqual([
      {
        field: 'image',
        filename: 'image-1.png',
        declaredType: 'image/png',
        size: image.bytes.byteLength,
        sha256: image.sha256,
      },
    ]);
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({
      mediaType: 'image/png',
      width: 1024,
      height: 1024,
    });
    expect(result.usage?.inputImageTokens).toBeGreaterThan(0);
    // Token pricing covers the input images of an edit.
    const model = modelDescriptorSchema.parse(OPENAI_MODELS.find((m) => m.id === 'gpt-image-1.5'));
    expect(priceFromUsage(model, result.usage!)).toBeGreaterThan(
      priceFromUsage(model, { ...result.usage!, inputImageTokens: 0 })!,
    );
    // A different input image gives a different picture (the fake draws from the inputs).
    const other = await provider.edit!({ ...call, images: [drawnInput(64, 64, 'png', 2)] }, contextFor());
    expect(Buffer.from(other.images[0]!.bytes).equals(Buffer.from(result.images[0]!.bytes))).toBe(false);
  });

  it('several images of each format go as repeated `image[]`, in order, with the mask', async () => {
    const provider = openai();
    const images = [
      drawnInput(96, 64, 'png', 0),
      drawnInput(32, 32, 'jpeg', 1),
      drawnInput(48, 48, 'webp', 2),
    ];
    const call = callFor(provider, 'gpt-image-1.5', {
      operation: 'edit',
      images,
      mask: alphaMask(96, 64),
      inputFidelity: 'high',
      outputFormat: 'webp',
      outputCompression: 70,
      background: 'opaque',
      n: 2,
    });
    const result = await provider.edit!(call, contextFor());
    const form = lastForm();
    expect(form.files.map((file) => [file.field, file.declaredType, file.sha256])).toEqual([
      ['image[]', 'image/png', images[0]!.sha256],
      ['image[]', 'image/jpeg', images[1]!.sha256],
      ['image[]', 'image/webp', images[2]!.sha256],
      ['mask', 'image/png', call.mask!.sha256],
    ]);
    expect(form.fields).toMatchObject({
      input_fidelity: 'high',
      output_format: 'webp',
      output_compression: '70',
      background: 'opaque',
      n: '2',
    });
    expect(result.images).toHaveLength(2);
    expect(result.images.every((image) => image.mediaType === 'image/webp')).toBe(true);
    // High fidelity on three images costs more input tokens than low fidelity on one.
    expect(result.usage!.inputImageTokens).toBe(3 * 4160);
  });

  it('16 images are sent; the fake refuses a 17th as the API does, mapped to upstream_rejected naming image', async () => {
    const provider = openai();
    const images = Array.from({ length: 16 }, (_, index) => drawnInput(16, 16, 'png', index));
    const ok = await provider.edit!(
      callFor(provider, 'gpt-image-1.5', { operation: 'edit', images }),
      contextFor(),
    );
    expect(ok.images).toHaveLength(1);
    expect(lastForm().files).toHaveLength(16);
    const seventeen = [...images, drawnInput(16, 16, 'png', 16)];
    const error = await rejection(
      provider.edit!(
        callFor(provider, 'gpt-image-1.5', { operation: 'edit', images: seventeen }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      code: 'BACKEND_ERROR',
      reason: 'upstream_rejected',
      param: 'image',
      upstreamCode: 'too_many_images',
      retryable: false,
    });
  });

  it('dall-e-2: one square PNG and a mask, response_format b64_json, no GPT-only fields', async () => {
    const provider = openai();
    const image = drawnInput(256, 256);
    const call = callFor(provider, 'dall-e-2', {
      operation: 'edit',
      images: [image],
      mask: alphaMask(256, 256),
      size: '256x256',
      n: 2,
    });
    const result = await provider.edit!(call, contextFor());
    expect(lastForm().fields).toEqual({
      model: 'dall-e-2',
      prompt: call.prompt,
      n: '2',
      size: '256x256',
      quality: 'standard',
      response_format: 'b64_json',
    });
    expect(lastForm().files.map((file) => file.field)).toEqual(['image', 'mask']);
    expect(result.images.map((image) => sniffImage(image.bytes))).toEqual([
      { mediaType: 'image/png', width: 256, height: 256 },
      { mediaType: 'image/png', width: 256, height: 256 },
    ]);
  });

  it('Azure: the deployment edit path with api-version and api-key, no model field', async () => {
    const azure = createAzureOpenAIProvider({
      endpoint: server.url,
      apiKey: AZURE_KEY,
      deployments: { editor: 'gpt-image-1.5' },
    });
    const result = await azure.edit!(
      callFor(azure, 'editor', { operation: 'edit', images: [drawnInput(32, 32)], mask: alphaMask(32, 32) }),
      contextFor(),
    );
    const request = server.requests.at(-1)!;
    expect(request.url).toBe('/openai/deployments/editor/images/edits?api-version=2025-04-01-preview');
    expect(request.headers['api-key']).toBe(AZURE_KEY);
    expect((request.body as RecordedForm).fields.model).toBeUndefined();
    expect(result.images).toHaveLength(1);
    expect(result.response?.upstreamRequestId).toMatch(/^req_/);
  });
});

describe('createVariation(): dall-e-2 semantics', () => {
  it('posts one image to /images/variations with n, size and response_format, and no prompt', async () => {
    const provider = openai();
    const image = drawnInput(512, 512);
    const call = callFor(provider, 'dall-e-2', {
      operation: 'variation',
      prompt: '',
      images: [image],
      n: 3,
      size: '512x512',
      user: 'u-2',
    });
    const result = await provider.createVariation!(call, contextFor());
    expect(server.requests.at(-1)!.url).toBe('/v1/images/variations');
    expect(lastForm().fields).toEqual({
      model: 'dall-e-2',
      n: '3',
      size: '512x512',
      response_format: 'b64_json',
      user: 'u-2',
    });
    expect(lastForm().files).toMatchObject([{ field: 'image', sha256: image.sha256 }]);
    expect(result.images).toHaveLength(3);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({ mediaType: 'image/png', width: 512, height: 512 });
  });

  it('downloads url answers (a compatible server ignoring response_format) without credentials', async () => {
    const provider = openai();
    server.enqueue({ type: 'url' });
    const result = await provider.createVariation!(
      callFor(provider, 'dall-e-2', {
        operation: 'variation',
        prompt: '',
        images: [drawnInput(256, 256)],
        size: '256x256',
      }),
      contextFor(),
    );
    const download = server.requests.at(-1)!;
    expect(download.url).toMatch(/^\/fake-files\//);
    expect(download.headers.authorization).toBeUndefined();
    expect(sniffImage(result.images[0]!.bytes)).toMatchObject({ width: 256, height: 256 });
  });

  it('refuses a second image, a mask or a prompt option before sending anything', async () => {
    const provider = openai();
    const base = callFor(provider, 'dall-e-2', {
      operation: 'variation',
      prompt: '',
      images: [drawnInput(256, 256), drawnInput(256, 256, 'png', 1)],
    });
    expect(await rejection(provider.createVariation!(base, contextFor()))).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'image',
    });
    const masked = { ...base, images: [drawnInput(256, 256)], mask: alphaMask(256, 256) };
    expect(await rejection(provider.createVariation!(masked, contextFor()))).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'mask',
    });
    const rewriting = {
      ...base,
      images: [drawnInput(256, 256)],
      providerOptions: { disable_prompt_rewriting: true },
    };
    expect(await rejection(provider.createVariation!(rewriting, contextFor()))).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'provider_options.openai.disable_prompt_rewriting',
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('what the API refuses, the fake refuses, and the plugin maps it', () => {
  async function editError(modelId: string, overrides: Parameters<typeof callFor>[2]) {
    const provider = openai();
    return rejection(
      provider.edit!(callFor(provider, modelId, { operation: 'edit', ...overrides }), contextFor()),
    );
  }

  it('a file that is not an image (judged by its bytes)', async () => {
    const text = new TextEncoder().encode('just some text, not a picture');
    const fake = { ...drawnInput(16, 16), bytes: text };
    const error = await editError('gpt-image-1.5', { images: [fake] });
    expect(error).toMatchObject({
      reason: 'upstream_rejected',
      param: 'image',
      upstreamCode: 'invalid_image_format',
    });
  });

  it('a mask of the wrong size, without alpha, or on a model that takes none', async () => {
    const image = drawnInput(64, 64);
    expect(await editError('gpt-image-1.5', { images: [image], mask: alphaMask(32, 32) })).toMatchObject({
      reason: 'upstream_rejected',
      param: 'mask',
      upstreamCode: 'invalid_image_dimensions',
    });
    const noAlpha = await editError('gpt-image-1.5', { images: [image], mask: alphaMask(64, 64, false) });
    expect(noAlpha).toMatchObject({ param: 'mask' });
    expect(noAlpha.message).toContain('alpha channel');
  });

  it('dall-e-2: a non-square image, a JPEG, and a PNG over 4 MB', async () => {
    expect(await editError('dall-e-2', { images: [drawnInput(64, 32)], size: '256x256' })).toMatchObject({
      param: 'image',
      upstreamCode: 'invalid_image_dimensions',
    });
    expect(
      await editError('dall-e-2', { images: [drawnInput(64, 64, 'jpeg')], size: '256x256' }),
    ).toMatchObject({ param: 'image', upstreamCode: 'invalid_image_format' });
    const big = inputImage(drawTestImage({ width: 1300, height: 1300, noise: 1 }));
    expect(big.bytes.byteLength).toBeGreaterThan(4 * 1024 * 1024);
    expect(await editError('dall-e-2', { images: [big], size: '256x256' })).toMatchObject({
      param: 'image',
      upstreamCode: 'image_too_large',
    });
  });

  it('input_fidelity on gpt-image-1-mini, as a model override claiming it would send it', async () => {
    const provider = createOpenAIProvider({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      servedBy: 'compatible',
      models: [
        {
          ...OPENAI_MODELS.find((m) => m.id === 'gpt-image-1-mini')!,
          capabilities: {
            ...OPENAI_MODELS.find((m) => m.id === 'gpt-image-1-mini')!.capabilities,
            edit: {
              maxImages: 16,
              input: { maxBytes: 1000000, maxPixels: 1000000 },
              inputFidelity: ['low', 'high'],
            },
          },
        },
      ],
    });
    const error = await rejection(
      provider.edit!(
        callFor(provider, 'gpt-image-1-mini', {
          operation: 'edit',
          images: [drawnInput(16, 16)],
          inputFidelity: 'high',
        }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      reason: 'upstream_rejected',
      param: 'input_fidelity',
      upstreamCode: 'unsupported_parameter',
    });
  });

  it('limits are data: a fake configured with a 1000-byte limit refuses a larger image', async () => {
    const small = await startFakeOpenAIServer({
      models: OPENAI_MODELS.map((model) =>
        model.id === 'gpt-image-1.5'
          ? {
              ...model,
              capabilities: {
                ...model.capabilities,
                edit: { ...model.capabilities.edit!, input: { maxBytes: 1000, maxPixels: 1 << 20 } },
              },
            }
          : model,
      ),
    });
    try {
      const provider = createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: small.baseURL });
      const image = inputImage(drawTestImage({ width: 64, height: 64, noise: 1 }));
      const error = await rejection(
        provider.edit!(
          callFor(provider, 'gpt-image-1.5', { operation: 'edit', images: [image] }),
          contextFor(),
        ),
      );
      expect(error).toMatchObject({ param: 'image', upstreamCode: 'image_too_large' });
    } finally {
      await small.close();
    }
  });

  it('a mask in the luminance convention is refused by the plugin, never sent to be misread', async () => {
    const mask = { ...alphaMask(16, 16), convention: 'luminance' as const };
    const error = await editError('gpt-image-1.5', { images: [drawnInput(16, 16)], mask });
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'mask' });
    expect(server.requests).toHaveLength(0);
  });

  it('moderation on an edit is refused by the plugin (the edits endpoint documents none)', async () => {
    const error = await editError('gpt-image-1.5', { images: [drawnInput(16, 16)], moderation: 'low' });
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'moderation' });
    expect(server.requests).toHaveLength(0);
  });

  it('errors keep the generation rules: 429 retryable with retry-after, 401 without the key', async () => {
    server.enqueue({ type: 'rate_limited', retryAfter: '3' });
    const limited = await editError('gpt-image-1.5', { images: [drawnInput(16, 16)] });
    expect(limited).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 3000 });
    server.enqueue({ type: 'unauthorized' });
    const denied = await editError('gpt-image-1.5', { images: [drawnInput(16, 16)] });
    expect(denied).toMatchObject({ reason: 'upstream_auth' });
    expectNoSecret(denied, FAKE_OPENAI_API_KEY);
  });
});

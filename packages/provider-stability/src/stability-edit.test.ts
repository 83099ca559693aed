import { sniffImage } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callFor,
  contextFor,
  editCallFor,
  failureOf,
  inputImage,
  luminanceMask,
  modelOf,
  TEST_KEY,
} from './stability.test-helpers.ts';
import { STABILITY_MODELS } from './stability-catalog.ts';
import { createStabilityProvider, type StabilityProviderSettings } from './stability-provider.ts';
import { type FakeStabilityServer, startFakeStabilityServer } from './testing/index.ts';

let server: FakeStabilityServer;

function providerFor(settings: StabilityProviderSettings = {}) {
  return createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url, ...settings });
}

function sizeOf(bytes: Uint8Array): string {
  const sniffed = sniffImage(bytes);
  return `${sniffed?.width}x${sniffed?.height}`;
}

beforeAll(async () => {
  server = await startFakeStabilityServer({ moderatedWords: ['forbidden'], filteredWords: ['gore'] });
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

describe('edit catalog', () => {
  it('declares one edit model per endpoint, with its mask rule, limits and an edit price in credits', () => {
    const edits = STABILITY_MODELS.map((input) => modelDescriptorSchema.parse(input)).filter(
      (model) => model.capabilities.edit,
    );
    expect(edits.map((model) => [model.id, model.capabilities.edit?.mask])).toEqual([
      ['stable-image-inpaint', { convention: 'luminance', required: true }],
      ['stable-image-erase', { convention: 'luminance', required: false }],
      ['stable-image-outpaint', undefined],
      ['stable-image-search-and-replace', undefined],
      ['stable-image-remove-background', undefined],
    ]);
    for (const model of edits) {
      expect(model.capabilities.edit?.maxImages).toBe(1);
      expect(model.capabilities.edit?.input.minSide).toBe(64);
      expect(model.capabilities.stream).toBeUndefined();
      expect(model.capabilities.sizes).toEqual(['auto']);
      expect(model.pricing?.perImage).toEqual([{ operation: 'edit', usd: expect.any(Number) }]);
      expect(model.pricing?.source).toMatch(/UNCONFIRMED/);
    }
    const removeBackground = edits.find((model) => model.id === 'stable-image-remove-background')!;
    expect(removeBackground.capabilities.outputFormats).toEqual(['png', 'webp']);
    expect(removeBackground.capabilities.edit?.input.maxPixels).toBe(4_194_304);
    // No generation model claims to edit.
    expect(modelOf(providerFor(), 'stable-image-core').capabilities.edit).toBeUndefined();
  });

  it('prices edits from editCredits and refuses a malformed editCredits at construction', async () => {
    const provider = providerFor({ editCredits: { inpaint: 7 }, creditPriceUsd: 0.02 });
    expect(modelOf(provider, 'stable-image-inpaint').pricing?.perImage).toEqual([
      { operation: 'edit', usd: 0.14 },
    ]);
    expect(() => providerFor({ editCredits: { paint: 3 } as never })).toThrow(/editCredits.paint/);
    expect(() => providerFor({ editCredits: { erase: -1 } })).toThrow(/non-negative/);
  });
});

describe('inpaint (an OpenAI-style edit with a mask)', () => {
  it('sends image and luminance mask as files with the prompt, and returns an image the size of the input', async () => {
    const provider = providerFor();
    const call = editCallFor(provider, 'stable-image-inpaint', {
      mask: luminanceMask(256, 192),
      negativePrompt: 'blurry',
      seed: 42,
      providerOptions: { grow_mask: 12, edit_operation: 'inpaint' },
    });
    const result = await provider.edit!(call, contextFor());
    const request = server.requests[0]!;
    expect(request.url).toBe('/v2beta/stable-image/edit/inpaint');
    expect(request.files.image).toEqual({
      size: call.images![0]!.bytes.byteLength,
      type: 'image/png',
      filename: 'image-0.png',
    });
    expect(request.files.mask).toMatchObject({ type: 'image/png', filename: 'mask.png' });
    expect(request.fields).toEqual({
      prompt: 'a red kite in the sky',
      negative_prompt: 'blurry',
      grow_mask: '12',
      seed: '42',
      output_format: 'png',
    });
    expect(result.images).toHaveLength(1);
    expect(result.images[0]!.mediaType).toBe('image/png');
    expect(sizeOf(result.images[0]!.bytes)).toBe('256x192');
    expect(result.images[0]!.seed).toBe(42);
    expect(server.creditsUsed).toBe(5);
  });

  it('draws deterministically from the input image and prompt', async () => {
    const provider = providerFor();
    const call = editCallFor(provider, 'stable-image-inpaint', { mask: luminanceMask(256, 192), seed: 9 });
    const first = await provider.edit!(call, contextFor());
    const again = await provider.edit!(call, contextFor());
    const other = await provider.edit!({ ...call, prompt: 'a blue kite' }, contextFor());
    expect(Buffer.from(again.images[0]!.bytes).equals(Buffer.from(first.images[0]!.bytes))).toBe(true);
    expect(Buffer.from(other.images[0]!.bytes).equals(Buffer.from(first.images[0]!.bytes))).toBe(false);
  });

  it('refuses, before any request, a missing mask, a mask of another size and an option of another operation', async () => {
    const provider = providerFor();
    const cases: Array<[Parameters<typeof editCallFor>[2], string]> = [
      [{}, 'mask'],
      [{ mask: luminanceMask(128, 128) }, 'mask'],
      [{ mask: luminanceMask(256, 192), providerOptions: { left: 10 } }, 'provider_options.stability.left'],
      [
        { mask: luminanceMask(256, 192), providerOptions: { grow_mask: 101 } },
        'provider_options.stability.grow_mask',
      ],
      [{ mask: luminanceMask(256, 192), size: '1024x1024' }, 'size'],
      [{ mask: luminanceMask(256, 192), prompt: '  ' }, 'prompt'],
    ];
    for (const [overrides, param] of cases) {
      const error = await failureOf(
        provider.edit!(editCallFor(provider, 'stable-image-inpaint', overrides), contextFor()),
      );
      expect(error, param).toMatchObject({ code: 'VALIDATION_ERROR', param });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('names the model to use when edit_operation disagrees with the model', async () => {
    const provider = providerFor();
    const error = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-inpaint', {
          mask: luminanceMask(256, 192),
          providerOptions: { edit_operation: 'outpaint' },
        }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'provider_options.stability.edit_operation',
    });
    expect(error.message).toContain("'stability/stable-image-outpaint'");
    expect(server.requests).toHaveLength(0);
  });
});

describe('the native operations', () => {
  it('erase: sends the mask and no prompt, and says the prompt was not sent', async () => {
    const provider = providerFor();
    const result = await provider.edit!(
      editCallFor(provider, 'stable-image-erase', {
        mask: luminanceMask(256, 192),
        providerOptions: { grow_mask: 20 },
      }),
      contextFor(),
    );
    const request = server.requests[0]!;
    expect(request.url).toBe('/v2beta/stable-image/edit/erase');
    expect(request.fields).toEqual({ grow_mask: '20', output_format: 'png' });
    expect(Object.keys(request.files).sort()).toEqual(['image', 'mask']);
    expect(result.warnings).toContainEqual(expect.objectContaining({ type: 'unsupported', param: 'prompt' }));
    expect(sizeOf(result.images[0]!.bytes)).toBe('256x192');
    const tooMuch = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-erase', { providerOptions: { grow_mask: 21 } }),
        contextFor(),
      ),
    );
    expect(tooMuch).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'provider_options.stability.grow_mask',
    });
  });

  it('outpaint: extends the image by the requested pixels and needs at least one direction', async () => {
    const provider = providerFor();
    const result = await provider.edit!(
      editCallFor(provider, 'stable-image-outpaint', {
        outputFormat: 'jpeg',
        providerOptions: { left: 64, down: 32, creativity: 0.3 },
      }),
      contextFor(),
    );
    expect(server.requests[0]!.fields).toEqual({
      prompt: 'a red kite in the sky',
      left: '64',
      down: '32',
      creativity: '0.3',
      output_format: 'jpeg',
    });
    expect(result.images[0]!.mediaType).toBe('image/jpeg');
    expect(sizeOf(result.images[0]!.bytes)).toBe('320x224');
    expect(server.creditsUsed).toBe(4);

    const none = await failureOf(
      provider.edit!(editCallFor(provider, 'stable-image-outpaint'), contextFor()),
    );
    expect(none).toMatchObject({ code: 'VALIDATION_ERROR', param: 'provider_options.stability.left' });
    const narrow = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-outpaint', {
          images: [inputImage(64, 200)],
          providerOptions: { up: 10 },
        }),
        contextFor(),
      ),
    );
    expect(narrow).toMatchObject({ code: 'VALIDATION_ERROR', param: 'image' });
    expect(server.requests).toHaveLength(1);
  });

  it('search-and-replace: sends search_prompt with the prompt, and requires it', async () => {
    const provider = providerFor();
    const result = await provider.edit!(
      editCallFor(provider, 'stable-image-search-and-replace', {
        style: 'anime',
        providerOptions: { search_prompt: 'the kite' },
      }),
      contextFor(),
    );
    expect(server.requests[0]!.url).toBe('/v2beta/stable-image/edit/search-and-replace');
    expect(server.requests[0]!.fields).toMatchObject({
      prompt: 'a red kite in the sky',
      search_prompt: 'the kite',
      style_preset: 'anime',
    });
    expect(result.images).toHaveLength(1);
    const missing = await failureOf(
      provider.edit!(editCallFor(provider, 'stable-image-search-and-replace'), contextFor()),
    );
    expect(missing).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'provider_options.stability.search_prompt',
    });
  });

  it('remove-background: sends only the image and format, as JSON replies too', async () => {
    const provider = providerFor({ responseFormat: 'json' });
    const result = await provider.edit!(
      editCallFor(provider, 'stable-image-remove-background', { outputFormat: 'webp' }),
      contextFor(),
    );
    const request = server.requests[0]!;
    expect(request.headers.accept).toBe('application/json');
    expect(request.fields).toEqual({ output_format: 'webp' });
    expect(Object.keys(request.files)).toEqual(['image']);
    expect(result.images[0]!.mediaType).toBe('image/webp');
    expect(result.images[0]!.seed).toBeUndefined();
    expect(result.warnings).toContainEqual(expect.objectContaining({ param: 'prompt' }));
  });
});

describe('refusals and errors', () => {
  it('refuses generate() on an edit model and edit() on a generation model, naming the field', async () => {
    const provider = providerFor();
    const generate = await failureOf(
      provider.generate(callFor(provider, 'stable-image-inpaint'), contextFor()),
    );
    expect(generate).toMatchObject({ code: 'VALIDATION_ERROR', param: 'model' });
    const edit = await failureOf(provider.edit!(editCallFor(provider, 'stable-image-core'), contextFor()));
    expect(edit).toMatchObject({ code: 'VALIDATION_ERROR', param: 'model' });
    expect(edit.message).toContain('stable-image-inpaint');
    expect(server.requests).toHaveLength(0);
  });

  it('maps the 400 for bytes that are not an image to upstream_rejected naming image', async () => {
    const provider = providerFor();
    const junk = new TextEncoder().encode('definitely not a picture');
    const error = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-remove-background', {
          images: [inputImage(256, 192, { bytes: junk })],
        }),
        contextFor(),
      ),
    );
    expect(error).toMatchObject({
      code: 'BACKEND_ERROR',
      reason: 'upstream_rejected',
      param: 'image',
      upstreamStatus: 400,
    });
    expect(server.creditsUsed).toBe(0);
  });

  it('maps content moderation (403) and CONTENT_FILTERED to content_filtered, charging nothing', async () => {
    const provider = providerFor();
    const moderated = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-inpaint', {
          prompt: 'something forbidden',
          mask: luminanceMask(256, 192),
        }),
        contextFor(),
      ),
    );
    expect(moderated).toMatchObject({ reason: 'content_filtered', upstreamStatus: 403, retryable: false });
    const filtered = await failureOf(
      provider.edit!(
        editCallFor(provider, 'stable-image-search-and-replace', {
          prompt: 'gore everywhere',
          providerOptions: { search_prompt: 'the kite' },
        }),
        contextFor(),
      ),
    );
    expect(filtered).toMatchObject({ reason: 'content_filtered', upstreamCode: 'CONTENT_FILTERED' });
    expect(server.creditsUsed).toBe(5);
  });

  it('maps a rate limit and a server failure like generation does', async () => {
    const provider = providerFor();
    server.enqueue({ type: 'rate_limited', retryAfterSeconds: 3 }, 'server_error');
    const call = editCallFor(provider, 'stable-image-erase', { prompt: '' });
    expect(await failureOf(provider.edit!(call, contextFor()))).toMatchObject({
      reason: 'rate_limited',
      retryAfterMs: 3000,
    });
    expect(await failureOf(provider.edit!(call, contextFor()))).toMatchObject({
      reason: 'upstream_unavailable',
    });
  });

  it('stops with ABORTED when the caller aborts mid-edit, and charges nothing', async () => {
    const provider = providerFor();
    server.enqueue({ type: 'slow', delayMs: 30_000 });
    const controller = new AbortController();
    const pending = provider.edit!(
      editCallFor(provider, 'stable-image-outpaint', { providerOptions: { right: 100 } }),
      contextFor({ signal: controller.signal }),
    );
    await server.waitForRequests(1);
    controller.abort();
    expect(await failureOf(pending)).toMatchObject({ code: 'ABORTED' });
    for (let i = 0; i < 200 && !server.requests[0]?.clientAborted; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(server.requests[0]?.clientAborted).toBe(true);
    expect(server.creditsUsed).toBe(0);
  });
});

import { sniffImage } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callFor,
  contextFor,
  editCallFor,
  inputImage,
  luminanceMask,
  rejection,
} from './imagen.test-helpers.ts';
import { googleImageModels } from './imagen-catalog.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';
import { type FakeImagenServer, startFakeImagenServer } from './testing/index.ts';

const token = 'ya29.static-edit-token-123456';
let server: FakeImagenServer;
beforeAll(async () => {
  server = await startFakeImagenServer({ staticAccessTokens: [token], slowMs: 30_000 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

type Part = { text?: string; inlineData?: { mimeType: string; data: string } };
/** The last request body, in the shape both edit routes send. */
interface EditBody {
  contents: Array<{ parts: Part[] }>;
  generationConfig: { imageConfig: Record<string, unknown> };
  instances: Array<{ prompt: string; referenceImages: unknown[] }>;
  parameters: Record<string, unknown>;
}
const lastBody = () => server.requests.at(-1)?.body as EditBody;
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sizeOf = (bytes: Uint8Array) => {
  const sniffed = sniffImage(bytes);
  return `${sniffed?.width}x${sniffed?.height}`;
};

const geminiApi = () =>
  createGoogleImageProvider({ api: 'gemini', apiKey: server.apiKey, baseURL: server.url });
const vertex = () =>
  createGoogleImageProvider({
    api: 'vertex',
    project: 'proj-1',
    location: 'us-central1',
    accessToken: async () => token,
    baseURL: server.url,
  });

describe('edit capabilities in the catalog', () => {
  it('declares reference images per model (3 for 2.5 Flash Image, 14 for 3.x), 7 MB each, and no mask', () => {
    const parse = (id: string) =>
      modelDescriptorSchema.parse(googleImageModels('vertex').find((model) => model.id === id));
    expect(parse('gemini-2.5-flash-image').capabilities.edit).toMatchObject({
      maxImages: 3,
      input: { maxBytes: 7_000_000 },
    });
    expect(parse('gemini-3-pro-image').capabilities.edit?.maxImages).toBe(14);
    expect(parse('gemini-3.1-flash-image').capabilities.edit?.maxImages).toBe(14);
    for (const model of googleImageModels('gemini')) {
      const parsed = modelDescriptorSchema.parse(model);
      expect(parsed.capabilities.edit?.mask, model.id).toBeUndefined();
      expect(parsed.capabilities.stream, model.id).toBeUndefined();
    }
    const editor = parse('imagen-3.0-capability-001');
    expect(editor.capabilities.edit?.mask).toEqual({ convention: 'luminance', required: false });
    expect(editor.pricing?.perImage).toEqual([{ operation: 'edit', usd: 0.02 }]);
    expect(editor.pricing?.source).toMatch(/UNCONFIRMED/);
    expect(googleImageModels('gemini').some((model) => model.id === 'imagen-3.0-capability-001')).toBe(false);
  });
});

describe('Gemini image models: edits through generateContent', () => {
  it('sends one reference image as inlineData before the prompt and follows its shape', async () => {
    const p = geminiApi();
    const call = editCallFor(p, 'gemini-2.5-flash-image');
    const result = await p.edit!(call, contextFor());
    expect(server.requests.at(-1)?.path).toBe('/v1beta/models/gemini-2.5-flash-image:generateContent');
    const parts = lastBody().contents[0]!.parts;
    expect(parts).toEqual([
      { inlineData: { mimeType: 'image/png', data: base64(call.images![0]!.bytes) } },
      { text: 'put a hat on the cat' },
    ]);
    // No ratio asked for: none is sent, and the answer follows the 16:9 input.
    expect(lastBody().generationConfig.imageConfig).toEqual({});
    expect(sizeOf(result.images[0]!.bytes)).toBe('1344x768');
    expect(result.usage).toMatchObject({ inputImageTokens: 258, outputImageTokens: 1290 });
  });

  it('sends several reference images in order, with the asked ratio and tier, and counts their tokens', async () => {
    const p = geminiApi();
    const images = [0, 1, 2, 3, 4].map((index) => inputImage(64 + index, 64, { index }));
    const result = await p.edit!(
      editCallFor(p, 'gemini-3-pro-image', { images, aspectRatio: '1:1', size: '2048x2048' }),
      contextFor(),
    );
    const parts = lastBody().contents[0]!.parts;
    expect(parts.map((part) => part.inlineData?.data ?? part.text)).toEqual([
      ...images.map((image) => base64(image.bytes)),
      'put a hat on the cat',
    ]);
    expect(lastBody().generationConfig.imageConfig).toEqual({ aspectRatio: '1:1', imageSize: '2K' });
    expect(sizeOf(result.images[0]!.bytes)).toBe('2048x2048');
    expect(result.usage).toMatchObject({ inputImageTokens: 5 * 560 });
  });

  it('draws deterministically from the reference images', async () => {
    const p = geminiApi();
    const call = editCallFor(p, 'gemini-3.1-flash-image');
    const first = await p.edit!(call, contextFor());
    const again = await p.edit!(call, contextFor());
    const other = await p.edit!(
      { ...call, images: [inputImage(320, 180, { prompt: 'another' })] },
      contextFor(),
    );
    expect(first.images[0]!.base64).toBe(again.images[0]!.base64);
    expect(other.images[0]!.base64).not.toBe(first.images[0]!.base64);
  });

  it('refuses, before any request, more images than the model takes, a mask and Imagen edit options', async () => {
    const p = geminiApi();
    const four = [0, 1, 2, 3].map((index) => inputImage(64, 64, { index }));
    const cases: Array<[Parameters<typeof editCallFor>[2], string]> = [
      [{ images: four }, 'image'],
      [{ mask: luminanceMask(320, 180) }, 'mask'],
      [{ providerOptions: { editMode: 'EDIT_MODE_INPAINT_INSERTION' } }, 'provider_options.google.editMode'],
    ];
    for (const [fields, param] of cases) {
      const error = await rejection(p.edit!(editCallFor(p, 'gemini-2.5-flash-image', fields), contextFor()));
      expect(error, param).toMatchObject({ code: 'VALIDATION_ERROR', param });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('the fake refuses too many images and a file that is not an image, in Google RPC errors', async () => {
    const png = base64(inputImage(64, 64).bytes);
    const post = (parts: unknown[]) =>
      fetch(`${server.url}/v1beta/models/gemini-2.5-flash-image:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts }] }),
      });
    const tooMany = await post([
      ...[1, 2, 3, 4].map(() => ({ inlineData: { mimeType: 'image/png', data: png } })),
      { text: 'x' },
    ]);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringMatching(/at most 3 images/) },
    });
    const junk = await post([
      { inlineData: { mimeType: 'image/png', data: base64(new TextEncoder().encode('not an image')) } },
      { text: 'x' },
    ]);
    expect(await junk.json()).toMatchObject({ error: { message: 'Request contains an invalid argument.' } });
  });

  it('maps a refused input image, safety blocks and an abort like generation', async () => {
    const p = geminiApi();
    const junk = inputImage(320, 180, { bytes: new TextEncoder().encode('not an image at all') });
    expect(
      await rejection(p.edit!(editCallFor(p, 'gemini-2.5-flash-image', { images: [junk] }), contextFor())),
    ).toMatchObject({
      reason: 'upstream_rejected',
      upstreamStatus: 400,
    });
    server.enqueue('content_filtered', 'prompt_blocked');
    const call = editCallFor(p, 'gemini-3-pro-image');
    expect(await rejection(p.edit!(call, contextFor()))).toMatchObject({
      reason: 'content_filtered',
      upstreamCode: 'IMAGE_SAFETY',
    });
    expect(await rejection(p.edit!(call, contextFor()))).toMatchObject({
      reason: 'content_filtered',
      upstreamCode: 'PROHIBITED_CONTENT',
    });

    server.enqueue('slow');
    const controller = new AbortController();
    const pending = p.edit!(call, contextFor({ signal: controller.signal }));
    for (let i = 0; i < 500 && server.requests.length < 4; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'ABORTED' });
  });

  it('edits on Vertex too, at the model location', async () => {
    const p = vertex();
    const result = await p.edit!(
      editCallFor(p, 'gemini-3.1-flash-image', { outputFormat: 'png' }),
      contextFor(),
    );
    expect(server.requests.at(-1)?.path).toBe(
      '/v1/projects/proj-1/locations/global/publishers/google/models/gemini-3.1-flash-image:generateContent',
    );
    expect(lastBody().generationConfig.imageConfig).toEqual({
      imageSize: '1K',
      imageOutputOptions: { mimeType: 'image/png' },
    });
    expect(result.images[0]!.mediaType).toBe('image/png');
  });
});

describe('Imagen editing on Vertex (imagen-3.0-capability-001)', () => {
  it('inpaints: RAW and MASK reference images, EDIT_MODE_INPAINT_INSERTION, images of the input size', async () => {
    const p = vertex();
    const call = editCallFor(p, 'imagen-3.0-capability-001', {
      n: 2,
      mask: luminanceMask(320, 180),
      providerOptions: { maskDilation: 0.02, baseSteps: 30 },
    });
    const result = await p.edit!(call, contextFor());
    expect(server.requests.at(-1)?.path).toBe(
      '/v1/projects/proj-1/locations/us-central1/publishers/google/models/imagen-3.0-capability-001:predict',
    );
    expect(lastBody()).toEqual({
      instances: [
        {
          prompt: 'put a hat on the cat',
          referenceImages: [
            {
              referenceType: 'REFERENCE_TYPE_RAW',
              referenceId: 1,
              referenceImage: { bytesBase64Encoded: base64(call.images![0]!.bytes), mimeType: 'image/png' },
            },
            {
              referenceType: 'REFERENCE_TYPE_MASK',
              referenceId: 2,
              referenceImage: { bytesBase64Encoded: base64(call.mask!.bytes), mimeType: 'image/png' },
              maskImageConfig: { maskMode: 'MASK_MODE_USER_PROVIDED', dilation: 0.02 },
            },
          ],
        },
      ],
      parameters: {
        sampleCount: 2,
        includeRaiReason: true,
        editMode: 'EDIT_MODE_INPAINT_INSERTION',
        editConfig: { baseSteps: 30 },
      },
    });
    expect(result.images).toHaveLength(2);
    expect(result.images.map((image) => sizeOf(image.bytes))).toEqual(['320x180', '320x180']);
  });

  it('uses an automatic mask for a background swap, and mask-free editing without one', async () => {
    const p = vertex();
    await p.edit!(
      editCallFor(p, 'imagen-3.0-capability-001', {
        providerOptions: { editMode: 'EDIT_MODE_BGSWAP', maskMode: 'MASK_MODE_BACKGROUND' },
      }),
      contextFor(),
    );
    expect(lastBody().instances[0]!.referenceImages[1]).toEqual({
      referenceType: 'REFERENCE_TYPE_MASK',
      referenceId: 2,
      maskImageConfig: { maskMode: 'MASK_MODE_BACKGROUND' },
    });
    await p.edit!(editCallFor(p, 'imagen-3.0-capability-001'), contextFor());
    expect(lastBody().parameters.editMode).toBe('EDIT_MODE_DEFAULT');
    expect(lastBody().instances[0]!.referenceImages).toHaveLength(1);
  });

  it('reports partial filtering of an edit like a generation', async () => {
    const p = vertex();
    server.enqueue({ type: 'filter', count: 1 });
    const result = await p.edit!(
      editCallFor(p, 'imagen-3.0-capability-001', { n: 3, mask: luminanceMask(320, 180) }),
      contextFor(),
    );
    expect(result.images).toHaveLength(2);
    expect(result.filteredCount).toBe(1);
  });

  it('refuses, before any request, a masked mode without a mask, a mask of another size, and wrong operations', async () => {
    const p = vertex();
    const cases: Array<[Promise<unknown>, string]> = [
      [
        p.edit!(
          editCallFor(p, 'imagen-3.0-capability-001', {
            providerOptions: { editMode: 'EDIT_MODE_INPAINT_REMOVAL' },
          }),
          contextFor(),
        ),
        'mask',
      ],
      [
        p.edit!(editCallFor(p, 'imagen-3.0-capability-001', { mask: luminanceMask(100, 100) }), contextFor()),
        'mask',
      ],
      [
        p.edit!(
          editCallFor(p, 'imagen-3.0-capability-001', {
            mask: luminanceMask(320, 180),
            providerOptions: { maskMode: 'MASK_MODE_FOREGROUND' },
          }),
          contextFor(),
        ),
        'provider_options.google.maskMode',
      ],
      [
        p.generate(
          callFor(p, 'imagen-3.0-capability-001', { aspectRatio: undefined, size: 'auto' }),
          contextFor(),
        ),
        'model',
      ],
      [p.edit!(editCallFor(p, 'imagen-4.0-generate-001'), contextFor()), 'model'],
      [
        p.generate(callFor(p, 'gemini-3-pro-image', { providerOptions: { baseSteps: 20 } }), contextFor()),
        'provider_options.google.baseSteps',
      ],
    ];
    for (const [pending, param] of cases) {
      expect(await rejection(pending), param).toMatchObject({ code: 'VALIDATION_ERROR', param });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('the fake refuses a mask of another size and a masked mode without a mask', async () => {
    const png = (w: number, h: number) => base64(inputImage(w, h).bytes);
    const post = (referenceImages: unknown[], parameters: Record<string, unknown>) =>
      fetch(
        `${server.url}/v1/projects/p/locations/us-central1/publishers/google/models/imagen-3.0-capability-001:predict`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [{ prompt: 'x', referenceImages }], parameters }),
        },
      );
    const raw = {
      referenceType: 'REFERENCE_TYPE_RAW',
      referenceId: 1,
      referenceImage: { bytesBase64Encoded: png(100, 80) },
    };
    const mismatch = await post(
      [
        raw,
        {
          referenceType: 'REFERENCE_TYPE_MASK',
          referenceId: 2,
          referenceImage: { bytesBase64Encoded: png(50, 50) },
          maskImageConfig: { maskMode: 'MASK_MODE_USER_PROVIDED' },
        },
      ],
      { editMode: 'EDIT_MODE_INPAINT_INSERTION' },
    );
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({
      error: { message: expect.stringMatching(/must be the same size/) },
    });
    const noMask = await post([raw], { editMode: 'EDIT_MODE_INPAINT_INSERTION' });
    expect(await noMask.json()).toMatchObject({
      error: { message: expect.stringMatching(/requires a REFERENCE_TYPE_MASK/) },
    });
  });
});

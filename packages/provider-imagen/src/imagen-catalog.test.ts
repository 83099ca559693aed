import { estimateImagePrice, parseSize } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { describe, expect, it } from 'vitest';
import { googleModelDataSchema } from './google-model-data.ts';
import { GEMINI_API_IMAGE_MODELS, googleImageModels, VERTEX_IMAGE_MODELS } from './imagen-catalog.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';

const parse = (api: 'vertex' | 'gemini', id: string) =>
  modelDescriptorSchema.parse(googleImageModels(api).find((model) => model.id === id));

describe('the Google image catalog', () => {
  it('parses with core and carries valid wire facts for every model on both routes', () => {
    for (const model of [...VERTEX_IMAGE_MODELS, ...GEMINI_API_IMAGE_MODELS]) {
      const parsed = modelDescriptorSchema.parse(model);
      const data = googleModelDataSchema.parse(parsed.providerData);
      // Every tier size is also an accepted size, and every tier has the model's ratios.
      for (const table of Object.values(data.sizeTiers)) {
        expect(Object.keys(table).sort()).toEqual(Object.keys(parsed.capabilities.aspectRatios).sort());
        for (const size of Object.values(table)) expect(parsed.capabilities.sizes).toContain(size);
      }
    }
  });

  it('declares Imagen as 1-4 per call, five ratios with their pixel sizes, and 2K only where supported', () => {
    const imagen4 = parse('vertex', 'imagen-4.0-generate-001');
    expect(imagen4.capabilities.maxImagesPerCall).toBe(4);
    expect(imagen4.capabilities.aspectRatios).toEqual({
      '1:1': '1024x1024',
      '3:4': '896x1280',
      '4:3': '1280x896',
      '9:16': '768x1408',
      '16:9': '1408x768',
    });
    expect(imagen4.capabilities.sizes).toEqual([
      '2048x2048',
      '1792x2560',
      '2560x1792',
      '1536x2816',
      '2816x1536',
    ]);
    expect(parse('vertex', 'imagen-4.0-fast-generate-001').capabilities.sizes).toEqual([]);
    expect(parse('vertex', 'imagen-3.0-generate-002').capabilities.sizes).toEqual([]);
  });

  it('declares seed and negative prompt on Vertex only', () => {
    expect(parse('vertex', 'imagen-4.0-generate-001').capabilities).toMatchObject({
      seed: true,
      negativePrompt: true,
    });
    expect(parse('gemini', 'imagen-4.0-generate-001').capabilities).toMatchObject({
      seed: false,
      negativePrompt: false,
    });
  });

  it('carries the reference lifecycle: Imagen shut down 2026-08-17 with Gemini replacements', () => {
    expect(parse('vertex', 'imagen-4.0-ultra-generate-001').lifecycle).toMatchObject({
      status: 'deprecated',
      retiresOn: '2026-08-17',
      replacement: 'gemini-3-pro-image',
    });
    expect(parse('gemini', 'imagen-4.0-fast-generate-001').lifecycle.replacement).toBe(
      'gemini-3.1-flash-image',
    );
    expect(parse('gemini', 'gemini-3-pro-image-preview').lifecycle).toMatchObject({
      status: 'retired',
      replacement: 'gemini-3-pro-image',
    });
    expect(parse('gemini', 'gemini-3.1-flash-image').lifecycle).toMatchObject({
      status: 'deprecated',
      deprecatedOn: '2026-10-06',
      replacement: 'gemini-nano-banana-2.1',
    });
  });

  it('prices Imagen per image and Gemini per size tier', () => {
    expect(
      estimateImagePrice(parse('vertex', 'imagen-4.0-generate-001'), { n: 3, size: '1024x1024' }).usd,
    ).toBeCloseTo(0.12);
    const pro = parse('gemini', 'gemini-3-pro-image');
    expect(estimateImagePrice(pro, { n: 1, size: '1024x1024' }).usd).toBe(0.134);
    expect(estimateImagePrice(pro, { n: 1, size: '4096x4096' }).usd).toBe(0.24);
    expect(
      estimateImagePrice(parse('gemini', 'gemini-nano-banana-2.1'), { n: 1, size: '1024x1024' }).basis,
    ).toBe('unknown');
  });

  it('keeps 2K and 4K Gemini sizes at exactly twice and four times the 1K ones', () => {
    const pro = parse('vertex', 'gemini-3-pro-image');
    const data = googleModelDataSchema.parse(pro.providerData);
    for (const [ratio, size] of Object.entries(pro.capabilities.aspectRatios)) {
      const base = parseSize(size)!;
      expect(parseSize(data.sizeTiers['2K']![ratio]!)).toEqual({
        width: base.width * 2,
        height: base.height * 2,
      });
      expect(parseSize(data.sizeTiers['4K']![ratio]!)).toEqual({
        width: base.width * 4,
        height: base.height * 4,
      });
    }
  });
});

describe('catalog configuration', () => {
  it('lets users add and replace models, under the provider id', () => {
    const provider = createGoogleImageProvider({
      api: 'gemini',
      apiKey: 'AIza-test-000000',
      id: 'gemini-api',
      models: [
        {
          ...GEMINI_API_IMAGE_MODELS.find((m) => m.id === 'imagen-4.0-generate-001')!,
          lifecycle: { status: 'active' },
        },
      ],
    });
    const imagen = provider.models.find((model) => model.id === 'imagen-4.0-generate-001');
    expect(imagen?.lifecycle).toEqual({ status: 'active' });
    expect(provider.models.every((model) => model.provider === 'gemini-api')).toBe(true);
    expect(provider.models.filter((model) => model.id === 'imagen-4.0-generate-001')).toHaveLength(1);
  });

  it('refuses a model whose providerData cannot be routed, at construction', () => {
    expect(() =>
      createGoogleImageProvider({
        api: 'gemini',
        models: [
          {
            id: 'mystery',
            provider: 'google',
            capabilities: { maxImagesPerCall: 1, maxPromptLength: 10 },
            providerData: {},
          },
        ],
      }),
    ).toThrow(/providerData\.family/);
  });

  it('refuses a Gemini-family model declaring more than one image per call', () => {
    const pro = GEMINI_API_IMAGE_MODELS.find((m) => m.id === 'gemini-3-pro-image')!;
    expect(() =>
      createGoogleImageProvider({
        api: 'gemini',
        models: [
          {
            ...pro,
            id: 'gemini-3-pro-image-batch',
            capabilities: { ...pro.capabilities, maxImagesPerCall: 4 },
          },
        ],
      }),
    ).toThrow(/maxImagesPerCall must be 1/);
  });

  it('infers Vertex when Vertex settings are given, the Gemini API otherwise', () => {
    expect(
      createGoogleImageProvider({ project: 'p' }).models.some((m) => m.id === 'imagen-3.0-fast-generate-001'),
    ).toBe(true);
    expect(createGoogleImageProvider({}).models.some((m) => m.id === 'imagen-3.0-fast-generate-001')).toBe(
      false,
    );
  });
});

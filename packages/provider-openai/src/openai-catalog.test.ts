import { estimateImagePrice, mergeCatalog } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { describe, expect, it } from 'vitest';
import { applyServedBy, OPENAI_MODELS, openAIModelData } from './openai-catalog.ts';
import { createOpenAIProvider } from './openai-provider.ts';

const parsed = Object.fromEntries(
  OPENAI_MODELS.map((model) => [model.id, modelDescriptorSchema.parse(model)]),
);
const get = (id: string) => {
  const model = parsed[id];
  if (!model) throw new Error(`no ${id}`);
  return model;
};

describe('OpenAI catalog', () => {
  it('lists the reference models, each parsing as a descriptor with valid routing data', () => {
    expect(OPENAI_MODELS.map((model) => model.id)).toEqual([
      'gpt-image-2',
      'gpt-image-2-2026-04-21',
      'gpt-image-1.5',
      'gpt-image-1',
      'gpt-image-1-mini',
      'dall-e-3',
      'dall-e-2',
    ]);
    for (const model of Object.values(parsed)) expect(() => openAIModelData(model)).not.toThrow();
  });

  it('has the lifecycle the reference gives', () => {
    expect(get('dall-e-3').lifecycle).toMatchObject({
      status: 'retired',
      retiresOn: '2026-05-12',
      replacement: 'gpt-image-1.5',
    });
    expect(get('dall-e-2').lifecycle).toMatchObject({ status: 'retired', retiresOn: '2026-05-12' });
    expect(get('gpt-image-1').lifecycle).toMatchObject({
      status: 'retired',
      retiresOn: '2026-10-23',
      replacement: 'gpt-image-1.5',
    });
    expect(get('gpt-image-1-mini').lifecycle.status).toBe('deprecated');
    expect(get('gpt-image-1-mini').lifecycle.retiresOn).toBeUndefined();
    for (const id of ['gpt-image-2', 'gpt-image-2-2026-04-21', 'gpt-image-1.5'])
      expect(get(id).lifecycle.status).toBe('active');
  });

  it('declares per-model limits: n, sizes, qualities, styles, prompt length, GPT-only settings', () => {
    expect(get('dall-e-3').capabilities).toMatchObject({
      maxImagesPerCall: 1,
      sizes: ['1024x1024', '1792x1024', '1024x1792'],
      qualities: ['standard', 'hd'],
      styles: ['vivid', 'natural'],
      maxPromptLength: 4000,
      backgrounds: [],
      moderation: [],
      outputFormats: ['png'],
    });
    expect(get('dall-e-2').capabilities).toMatchObject({
      maxImagesPerCall: 10,
      qualities: ['standard'],
      styles: [],
      maxPromptLength: 1000,
    });
    for (const id of ['gpt-image-2', 'gpt-image-1.5', 'gpt-image-1', 'gpt-image-1-mini']) {
      expect(get(id).capabilities).toMatchObject({
        maxImagesPerCall: 10,
        qualities: ['low', 'medium', 'high', 'auto'],
        styles: [],
        outputFormats: ['png', 'jpeg', 'webp'],
        outputCompression: true,
        backgrounds: ['transparent', 'opaque', 'auto'],
        moderation: ['auto', 'low'],
        maxPromptLength: 32000,
        seed: false,
        negativePrompt: false,
      });
      expect(get(id).capabilities.sizes).toEqual(['1024x1024', '1536x1024', '1024x1536', 'auto']);
      expect(openAIModelData(get(id)).family).toBe('gpt-image');
    }
    expect(get('gpt-image-2').capabilities.sizeRule).toEqual({
      minSide: 16,
      maxSide: 3840,
      multipleOf: 16,
      maxPixels: 3840 * 2160,
      minAspectRatio: 1 / 3,
      maxAspectRatio: 3,
    });
    expect(get('gpt-image-1.5').capabilities.sizeRule).toBeUndefined();
    expect(openAIModelData(get('dall-e-3'))).toMatchObject({ family: 'dall-e', rewritesPrompt: true });
  });

  it('prices images per size and quality, reserving auto at the dearest row, and leaves gpt-image-2 unknown', () => {
    expect(estimateImagePrice(get('dall-e-3'), { n: 1, size: '1792x1024', quality: 'hd' })).toEqual({
      usd: 0.12,
      basis: 'per_image',
    });
    expect(
      estimateImagePrice(get('dall-e-2'), { n: 3, size: '512x512', quality: 'standard' }).usd,
    ).toBeCloseTo(0.054, 6);
    expect(estimateImagePrice(get('gpt-image-1'), { n: 1, size: '1024x1536', quality: 'medium' }).usd).toBe(
      0.063,
    );
    expect(estimateImagePrice(get('gpt-image-1-mini'), { n: 2, size: '1024x1024', quality: 'low' }).usd).toBe(
      0.01,
    );
    expect(estimateImagePrice(get('gpt-image-1.5'), { n: 1, size: 'auto', quality: 'high' }).usd).toBe(0.2);
    expect(estimateImagePrice(get('gpt-image-1.5'), { n: 1, size: 'auto', quality: 'auto' }).usd).toBe(0.2);
    expect(estimateImagePrice(get('gpt-image-2'), { n: 1, size: '1024x1024', quality: 'low' })).toEqual({
      usd: undefined,
      basis: 'unknown',
    });
    expect(get('gpt-image-1').pricing?.tokens).toEqual({
      inputTextPerMillion: 5,
      inputImagePerMillion: 10,
      outputImagePerMillion: 40,
    });
  });
});

describe('servedBy and configuration', () => {
  it('compatible and Azure servers keep OpenAI-retired models usable; OpenAI keeps them retired', () => {
    const dallE3 = OPENAI_MODELS.find((model) => model.id === 'dall-e-3')!;
    expect(applyServedBy(dallE3, 'openai')).toBe(dallE3);
    const compatible = modelDescriptorSchema.parse(applyServedBy(dallE3, 'compatible'));
    expect(compatible.lifecycle.status).toBe('active');
    expect(compatible.lifecycle.retiresOn).toBeUndefined();
    expect(compatible.lifecycle.note).toContain('an OpenAI-compatible server');
    const active = OPENAI_MODELS.find((model) => model.id === 'gpt-image-1.5')!;
    expect(applyServedBy(active, 'azure')).toBe(active);
    const openai = createOpenAIProvider({ apiKey: 'sk-unused-000000' });
    expect(openai.models.find((model) => model.id === 'dall-e-3')?.lifecycle?.status).toBe('retired');
  });

  it('added models replace catalog entries by id and take the provider id', () => {
    const merged = mergeCatalog('acme', OPENAI_MODELS, [
      {
        id: 'dall-e-3',
        provider: '',
        capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 1, maxPromptLength: 100 },
      },
    ]);
    expect(merged).toHaveLength(OPENAI_MODELS.length);
    const replaced = merged.find((model) => model.id === 'dall-e-3')!;
    expect(replaced.provider).toBe('acme');
    expect(replaced.capabilities.maxPromptLength).toBe(100);
    expect(openAIModelData(replaced).family).toBe('dall-e');
    expect(merged.every((model) => model.provider === 'acme')).toBe(true);
  });

  it('refuses invalid providerData with a CONFIGURATION_ERROR naming the model and the accepted keys', () => {
    let caught: unknown;
    try {
      createOpenAIProvider({
        models: [
          {
            id: 'x',
            provider: 'openai',
            capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 1, maxPromptLength: 100 },
            providerData: { family: 'midjourney' },
          },
        ],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect((caught as Error).message).toMatch(/model x has invalid providerData .*accepted keys are family/);
  });
});

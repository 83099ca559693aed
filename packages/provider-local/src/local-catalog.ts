import type { ModelDescriptorInput } from '@pixelgate/core/spec';

const SQUARE_AND_WIDE = [
  '256x256',
  '512x512',
  '1024x1024',
  '1536x1024',
  '1024x1536',
  '1792x1024',
  '1024x1792',
];

/**
 * Input images the local provider reads for edits and variations: any of the three encodings, up
 * to 25 MB and 4096 pixels a side (what it can decode and blend quickly, not an upstream limit).
 */
const LOCAL_INPUT_LIMITS = {
  mediaTypes: ['image/png', 'image/jpeg', 'image/webp'],
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  maxSide: 4096,
} satisfies NonNullable<ModelDescriptorInput['capabilities']['edit']>['input'];

/**
 * The local provider's catalog: two honest placeholder models. `placeholder` does the whole
 * Images API offline (edits with up to 16 images and an `alpha` mask, `input_fidelity`,
 * variations, up to 3 streamed partial images); `placeholder-single` only generates, one image a
 * call, so the refusals of what a model cannot do are easy to exercise too.
 */
export const LOCAL_MODELS: ModelDescriptorInput[] = [
  {
    id: 'placeholder',
    provider: 'local',
    aliases: ['local-placeholder'],
    displayName: 'Local placeholder',
    description: 'Draws deterministic abstract placeholder images offline. Not a generative model.',
    capabilities: {
      sizes: SQUARE_AND_WIDE,
      aspectRatios: {
        '1:1': '1024x1024',
        '3:2': '1536x1024',
        '2:3': '1024x1536',
        '16:9': '1344x768',
        '9:16': '768x1344',
      },
      maxImagesPerCall: 10,
      maxImagesPerRequest: 10,
      qualities: ['low', 'medium', 'high'],
      outputFormats: ['png', 'jpeg', 'webp'],
      outputCompression: true,
      maxPromptLength: 4000,
      seed: true,
      negativePrompt: true,
      edit: {
        maxImages: 16,
        input: LOCAL_INPUT_LIMITS,
        mask: { convention: 'alpha', required: false },
        inputFidelity: ['low', 'high'],
      },
      variation: { input: LOCAL_INPUT_LIMITS },
      stream: { maxPartialImages: 3, operations: ['generate', 'edit'] },
    },
    defaults: { size: '1024x1024', quality: 'medium', outputFormat: 'png' },
    // One row without an operation prices generations, edits and variations alike.
    pricing: { perImage: [{ usd: 0 }], source: 'local rendering is free' },
  },
  {
    id: 'placeholder-single',
    provider: 'local',
    displayName: 'Local placeholder (one image per call)',
    description: 'Like placeholder, but returns one image per call, to exercise request splitting.',
    capabilities: {
      sizes: ['512x512', '1024x1024'],
      maxImagesPerCall: 1,
      outputFormats: ['png'],
      maxPromptLength: 1000,
      seed: true,
    },
    defaults: { size: '1024x1024' },
    pricing: { perImage: [{ usd: 0 }] },
  },
];

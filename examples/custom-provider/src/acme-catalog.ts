import type { ModelDescriptorInput } from '@pixelgate/core/spec';

/**
 * What acme-images serves, as data: the gateway validates every request against these
 * capabilities before the plugin is called, so the plugin never sees a size or count Acme would
 * reject. Prices are Acme's list prices (invented for the example).
 */
export const ACME_MODELS: ModelDescriptorInput[] = [
  {
    id: 'acme-1',
    provider: 'acme',
    aliases: ['acme'],
    displayName: 'Acme 1',
    description:
      'Acme Images general model (an invented provider used by the pixelgate custom-provider example).',
    capabilities: {
      sizes: ['512x512', '1024x1024', '1024x768', '768x1024'],
      maxImagesPerCall: 4,
      maxImagesPerRequest: 8,
      outputFormats: ['png', 'jpeg', 'webp'],
      maxPromptLength: 2000,
      seed: true,
      maxSeed: 2_147_483_647,
      negativePrompt: true,
      maxNegativePromptLength: 500,
    },
    defaults: { size: '1024x1024', outputFormat: 'png' },
    pricing: {
      perImage: [{ size: '512x512', usd: 0.01 }, { usd: 0.03 }],
      source: 'acme-images price list (example)',
    },
  },
  {
    id: 'acme-1-turbo',
    provider: 'acme',
    displayName: 'Acme 1 Turbo',
    description: 'Faster, one image per call, 512x512 only.',
    capabilities: {
      sizes: ['512x512'],
      maxImagesPerCall: 1,
      outputFormats: ['png'],
      maxPromptLength: 1000,
      seed: true,
      maxSeed: 2_147_483_647,
    },
    defaults: { size: '512x512' },
    pricing: { perImage: [{ usd: 0.005 }], source: 'acme-images price list (example)' },
  },
];

import type { ModelDescriptorInput, ModelLifecycle, SizeRule } from '@pixelgate/core/spec';
import { z } from 'zod';

/**
 * Wire facts of one OpenAI image model, kept in `providerData` so that a model added by
 * configuration (a new snapshot id, a compatible server's own name) is routed without code.
 */
export const openAIModelDataSchema = z.strictObject({
  /**
   * Which request dialect the model speaks. `gpt-image` never takes `response_format` and always
   * answers in base64; `dall-e` takes `response_format` and answers with a URL unless asked for
   * base64. When absent it is inferred from the id (`dall-e-*` is DALL·E, anything else GPT image).
   */
  family: z.enum(['gpt-image', 'dall-e']).optional(),
  /** The model id sent upstream when it differs from the catalog id (a compatible server's name). */
  upstreamModel: z.string().min(1).optional(),
  /** Whether the model rewrites prompts (dall-e-3), so the rewrite escape hatch applies to it. */
  rewritesPrompt: z.boolean().optional(),
  /** Sizes with more pixels than this are experimental upstream; such calls carry a warning. */
  experimentalAbovePixels: z.number().int().positive().optional(),
  /** A transparent background is a preview feature of this model; such calls carry a warning. */
  transparentBackgroundPreview: z.boolean().optional(),
  /** Azure only: the deployment that serves this model (set by `createAzureOpenAIProvider`). */
  deployment: z.string().min(1).optional(),
});
/** Parsed OpenAI routing facts of one model. */
export type OpenAIModelData = z.infer<typeof openAIModelDataSchema>;

/** The sizes every GPT image model accepts (1.3 of the reference). */
export const GPT_IMAGE_STANDARD_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'];

/**
 * gpt-image-2's flexible sizes: both sides multiples of 16, ratio between 1:3 and 3:1, at most
 * 3840x2160 (so at most 3840 on a side and 8,294,400 pixels). The reference states no minimum;
 * 16 (one step of the grid) is the smallest size the rule itself permits.
 */
export const GPT_IMAGE_2_SIZE_RULE: SizeRule = {
  minSide: 16,
  maxSide: 3840,
  multipleOf: 16,
  maxPixels: 3840 * 2160,
  minAspectRatio: 1 / 3,
  maxAspectRatio: 3,
};

/** Pixel count above which gpt-image-2 output is "experimental" per the reference (2560x1440). */
export const GPT_IMAGE_2_EXPERIMENTAL_PIXELS = 2560 * 1440;

/**
 * Input image limits of GPT image edits. The reference (1.1) gives the count (up to 16) and the
 * formats (png, webp, jpg) but no byte or pixel limit: 50 MiB per file is OpenAI's documented
 * figure elsewhere and 8192x8192 pixels a bound against decompression bombs, both UNCONFIRMED
 * here, so they are data a model override can change.
 */
export const GPT_IMAGE_EDIT_INPUT = {
  mediaTypes: ['image/png', 'image/jpeg', 'image/webp'],
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 8192 * 8192,
} satisfies NonNullable<ModelDescriptorInput['capabilities']['edit']>['input'];

/**
 * dall-e-2 edits and variations: one square PNG under 4 MB (reference 1.1). The pixel bound is
 * UNCONFIRMED (the reference states none) and configurable like the rest.
 */
export const DALL_E_2_INPUT = {
  mediaTypes: ['image/png'],
  maxBytes: 4 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  square: true,
} satisfies NonNullable<ModelDescriptorInput['capabilities']['edit']>['input'];

/** OpenAI's mask: a PNG whose fully transparent pixels mark the area to edit. */
const ALPHA_MASK = { convention: 'alpha', required: false } as const;

/** GPT image models stream up to 3 partial images on generations and edits (reference 1.2, 1.5). */
const GPT_IMAGE_STREAM = { maxPartialImages: 3, operations: ['generate', 'edit'] } satisfies NonNullable<
  ModelDescriptorInput['capabilities']['stream']
>;

const GPT_IMAGE_CAPABILITIES = {
  sizes: GPT_IMAGE_STANDARD_SIZES,
  maxImagesPerCall: 10,
  maxImagesPerRequest: 10,
  qualities: ['low', 'medium', 'high', 'auto'],
  styles: [],
  outputFormats: ['png', 'jpeg', 'webp'],
  outputCompression: true,
  backgrounds: ['transparent', 'opaque', 'auto'],
  moderation: ['auto', 'low'],
  maxPromptLength: 32_000,
  seed: false,
  negativePrompt: false,
  edit: { maxImages: 16, input: GPT_IMAGE_EDIT_INPUT, mask: ALPHA_MASK, inputFidelity: ['low', 'high'] },
  stream: GPT_IMAGE_STREAM,
} satisfies ModelDescriptorInput['capabilities'];

/** gpt-image-1-mini edits like the others but takes no `input_fidelity` (reference 1.2). */
const GPT_IMAGE_MINI_CAPABILITIES = {
  ...GPT_IMAGE_CAPABILITIES,
  edit: { ...GPT_IMAGE_CAPABILITIES.edit, inputFidelity: [] },
} satisfies ModelDescriptorInput['capabilities'];

const GPT_IMAGE_2_DATA = {
  family: 'gpt-image',
  experimentalAbovePixels: GPT_IMAGE_2_EXPERIMENTAL_PIXELS,
  transparentBackgroundPreview: true,
} satisfies OpenAIModelData;

const GPT_IMAGE_DEFAULTS = { size: 'auto', quality: 'auto', outputFormat: 'png' } as const;

/**
 * Per-image rows for GPT image models from the pricing calculator: [quality, square, rectangular].
 * Requests for `auto` (size or quality) are reserved at the dearest matching row, because the
 * model may pick the larger size or the higher quality; usage tokens settle the real cost.
 */
function gptImagePerImage(rows: Array<[string, number, number]>) {
  const perImage: Array<{ size?: string; quality?: string; usd: number }> = [];
  let dearest = 0;
  for (const [quality, square, rectangular] of rows) {
    perImage.push({ size: '1024x1024', quality, usd: square });
    perImage.push({ size: '1536x1024', quality, usd: rectangular });
    perImage.push({ size: '1024x1536', quality, usd: rectangular });
    perImage.push({ quality, usd: Math.max(square, rectangular) });
    dearest = Math.max(dearest, square, rectangular);
  }
  perImage.push({ usd: dearest });
  return perImage;
}

const DALL_E_RETIREMENT: ModelLifecycle = {
  status: 'retired',
  retiresOn: '2026-05-12',
  replacement: 'gpt-image-1.5',
  note:
    'OpenAI deprecated dall-e-2 and dall-e-3 with a shutdown on 2026-05-12 and removed them from its API. ' +
    'Azure deployments and OpenAI-compatible servers may still serve them.',
};

/**
 * The OpenAI image catalog as data, per the provider reference (sections 0, 1.3 and 1.8). Prices
 * marked UNCONFIRMED there are kept with their source; gpt-image-2 has no published price in the
 * reference, so its price is left unknown (never zero). The reference gives no separate edit or
 * variation prices: the per-image rows carry no `operation`, so they price edits and variations
 * too, and GPT image edits settle by usage, whose input image tokens have their own rate.
 */
export const OPENAI_MODELS: ModelDescriptorInput[] = [
  {
    id: 'gpt-image-2',
    provider: 'openai',
    displayName: 'GPT Image 2',
    description: 'OpenAI GPT image model with flexible sizes (multiples of 16, 1:3 to 3:1, up to 3840x2160).',
    capabilities: { ...GPT_IMAGE_CAPABILITIES, sizeRule: GPT_IMAGE_2_SIZE_RULE },
    defaults: GPT_IMAGE_DEFAULTS,
    lifecycle: {
      status: 'active',
      note: 'Sizes above 2560x1440 are experimental; a transparent background is a preview feature.',
    },
    providerData: GPT_IMAGE_2_DATA,
  },
  {
    id: 'gpt-image-2-2026-04-21',
    provider: 'openai',
    displayName: 'GPT Image 2 (2026-04-21 snapshot)',
    description: 'The dated snapshot of gpt-image-2.',
    capabilities: { ...GPT_IMAGE_CAPABILITIES, sizeRule: GPT_IMAGE_2_SIZE_RULE },
    defaults: GPT_IMAGE_DEFAULTS,
    lifecycle: {
      status: 'active',
      note: 'Sizes above 2560x1440 are experimental; a transparent background is a preview feature.',
    },
    providerData: GPT_IMAGE_2_DATA,
  },
  {
    id: 'gpt-image-1.5',
    provider: 'openai',
    displayName: 'GPT Image 1.5',
    description: 'OpenAI GPT image model (the successor of gpt-image-1).',
    capabilities: GPT_IMAGE_CAPABILITIES,
    defaults: GPT_IMAGE_DEFAULTS,
    pricing: {
      perImage: gptImagePerImage([
        ['low', 0.009, 0.013],
        ['medium', 0.034, 0.05],
        ['high', 0.133, 0.2],
      ]),
      tokens: { inputTextPerMillion: 5, inputImagePerMillion: 8, outputImagePerMillion: 32 },
      source:
        'resellers quoting the OpenAI pricing calculator (UNCONFIRMED by OpenAI directly), reference 1.8',
    },
    lifecycle: { status: 'active' },
    providerData: { family: 'gpt-image' },
  },
  {
    id: 'gpt-image-1',
    provider: 'openai',
    displayName: 'GPT Image 1',
    description: 'The first OpenAI GPT image model.',
    capabilities: GPT_IMAGE_CAPABILITIES,
    defaults: GPT_IMAGE_DEFAULTS,
    pricing: {
      perImage: gptImagePerImage([
        ['low', 0.011, 0.016],
        ['medium', 0.042, 0.063],
        ['high', 0.167, 0.25],
      ]),
      tokens: { inputTextPerMillion: 5, inputImagePerMillion: 10, outputImagePerMillion: 40 },
      source: 'developers.openai.com gpt-image-1 model page (ja-JP), reference 1.8',
    },
    lifecycle: {
      status: 'retired',
      retiresOn: '2026-10-23',
      replacement: 'gpt-image-1.5',
      note: 'OpenAI retired gpt-image-1 on 2026-10-23. Azure deployments and compatible servers may still serve it.',
    },
    providerData: { family: 'gpt-image' },
  },
  {
    id: 'gpt-image-1-mini',
    provider: 'openai',
    displayName: 'GPT Image 1 mini',
    description: 'The smaller, cheaper GPT image model.',
    capabilities: GPT_IMAGE_MINI_CAPABILITIES,
    defaults: GPT_IMAGE_DEFAULTS,
    pricing: {
      perImage: gptImagePerImage([
        ['low', 0.005, 0.006],
        ['medium', 0.011, 0.015],
        ['high', 0.036, 0.052],
      ]),
      tokens: { inputTextPerMillion: 2, inputImagePerMillion: 2.5, outputImagePerMillion: 8 },
      source: 'developers.openai.com gpt-image-1-mini model page (de-DE), reference 1.8',
    },
    lifecycle: {
      status: 'deprecated',
      note: 'The OpenAI model page marks gpt-image-1-mini as deprecated; no shutdown date or successor is published.',
    },
    providerData: { family: 'gpt-image' },
  },
  {
    id: 'dall-e-3',
    provider: 'openai',
    displayName: 'DALL·E 3',
    description: 'OpenAI DALL·E 3: one image per call; rewrites prompts (see revised_prompt).',
    capabilities: {
      sizes: ['1024x1024', '1792x1024', '1024x1792'],
      maxImagesPerCall: 1,
      maxImagesPerRequest: 10,
      qualities: ['standard', 'hd'],
      styles: ['vivid', 'natural'],
      outputFormats: ['png'],
      maxPromptLength: 4000,
    },
    defaults: { size: '1024x1024', quality: 'standard', style: 'vivid', outputFormat: 'png' },
    pricing: {
      perImage: [
        { size: '1024x1024', quality: 'standard', usd: 0.04 },
        { size: '1792x1024', quality: 'standard', usd: 0.08 },
        { size: '1024x1792', quality: 'standard', usd: 0.08 },
        { size: '1024x1024', quality: 'hd', usd: 0.08 },
        { size: '1792x1024', quality: 'hd', usd: 0.12 },
        { size: '1024x1792', quality: 'hd', usd: 0.12 },
      ],
      source: 'openai.com/pricing as quoted by third parties (Dec 2023), reference 1.8',
    },
    lifecycle: DALL_E_RETIREMENT,
    providerData: { family: 'dall-e', rewritesPrompt: true },
  },
  {
    id: 'dall-e-2',
    provider: 'openai',
    displayName: 'DALL·E 2',
    description: 'OpenAI DALL·E 2: square images only.',
    capabilities: {
      sizes: ['256x256', '512x512', '1024x1024'],
      maxImagesPerCall: 10,
      maxImagesPerRequest: 10,
      qualities: ['standard'],
      styles: [],
      outputFormats: ['png'],
      maxPromptLength: 1000,
      edit: { maxImages: 1, input: DALL_E_2_INPUT, mask: ALPHA_MASK },
      variation: { input: DALL_E_2_INPUT },
    },
    defaults: { size: '1024x1024', quality: 'standard', outputFormat: 'png' },
    pricing: {
      perImage: [
        { size: '256x256', usd: 0.016 },
        { size: '512x512', usd: 0.018 },
        { size: '1024x1024', usd: 0.02 },
      ],
      source: 'openai.com/pricing as quoted by third parties (Dec 2023), reference 1.8',
    },
    lifecycle: DALL_E_RETIREMENT,
    providerData: { family: 'dall-e' },
  },
];

/**
 * The prefix OpenAI's DALL·E 3 guide documents for asking the model to use a prompt as written
 * instead of rewriting it. Sent only when `provider_options.openai.disable_prompt_rewriting` is set.
 */
export const DALL_E_3_NO_REWRITE_PREFIX =
  'I NEED to test how the tool works with extremely simple prompts. DO NOT add any detail, just use it AS-IS:';

/** The routing facts of a model, with the family inferred from the id when not given. */
export function openAIModelData(model: {
  id: string;
  providerData?: Record<string, unknown> | undefined;
}): Required<Pick<OpenAIModelData, 'family'>> & OpenAIModelData {
  const data = openAIModelDataSchema.parse(model.providerData ?? {});
  const upstream = data.upstreamModel ?? model.id;
  return { ...data, family: data.family ?? (upstream.startsWith('dall-e') ? 'dall-e' : 'gpt-image') };
}

/**
 * How a catalog is served. OpenAI's own lifecycle (retired DALL·E models, gpt-image-1) applies only
 * to api.openai.com: Azure deployments and compatible servers keep serving models OpenAI retired,
 * so for them retired and deprecated entries become active, with the OpenAI facts kept in the note.
 */
export type OpenAIServedBy = 'openai' | 'azure' | 'compatible';

/** Applies {@link OpenAIServedBy} to one catalog entry. */
export function applyServedBy(model: ModelDescriptorInput, servedBy: OpenAIServedBy): ModelDescriptorInput {
  if (servedBy === 'openai') return model;
  const lifecycle = model.lifecycle;
  if (!lifecycle || (lifecycle.status !== 'retired' && lifecycle.status !== 'deprecated')) return model;
  const where = servedBy === 'azure' ? 'Azure OpenAI' : 'an OpenAI-compatible server';
  const facts = [
    `OpenAI lists this model as ${lifecycle.status}`,
    lifecycle.retiresOn ? ` (shutdown ${lifecycle.retiresOn})` : '',
    lifecycle.replacement ? `, replaced by ${lifecycle.replacement}` : '',
  ].join('');
  return {
    ...model,
    lifecycle: {
      status: 'active',
      ...(lifecycle.replacement ? { replacement: lifecycle.replacement } : {}),
      note: `${facts}; here it is served by ${where}, whose own lifecycle applies.`,
    },
  };
}

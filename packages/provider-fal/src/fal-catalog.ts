/**
 * The fal model catalog, as data: a first set of fal's hosted image models. The shared wire
 * reference (provider-apis.md) has no fal section, so model ids, parameters, size presets and
 * prices come from the issue and fal's public model pages as we understood them and are
 * UNCONFIRMED unless a comment says otherwise. Add models or replace these through `models`.
 */
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { z } from 'zod';

/** fal's `image_size` presets and the pixel sizes they stand for. */
export const FAL_IMAGE_SIZE_PRESETS: Readonly<Record<string, string>> = Object.freeze({
  square_hd: '1024x1024',
  square: '512x512',
  portrait_4_3: '768x1024',
  portrait_16_9: '576x1024',
  landscape_4_3: '1024x768',
  landscape_16_9: '1024x576',
});

/** The `provider_options.fal` fields a model may take. */
export const FAL_OPTION_NAMES = [
  'num_inference_steps',
  'guidance_scale',
  'enable_safety_checker',
  'safety_tolerance',
  'raw',
  'rendering_speed',
] as const;

/**
 * Wire routing facts a fal model carries in `providerData`, validated by the plugin at startup.
 */
export const falProviderDataSchema = z.strictObject({
  /** The model's path on fal (`fal-ai/flux/dev`). */
  endpoint: z
    .string()
    .regex(/^[\w\-.]+(\/[\w\-.]+)*$/, 'endpoint is a fal model path such as fal-ai/flux/dev'),
  /** `queue` (submit, poll, fetch the result) or `sync` (one request, for fast models). */
  mode: z.enum(['queue', 'sync']),
  /** How the size is sent: an `image_size` preset or `{ width, height }`, or an `aspect_ratio`. */
  sizing: z.enum(['image_size', 'aspect_ratio']),
  /** Whether `num_images` is sent (models without it make one image per request). */
  numImages: z.boolean().default(true),
  /** Whether `output_format` is sent. */
  outputFormat: z.boolean().default(true),
  /** Whether the request's `style` is sent as `style`. */
  style: z.boolean().default(false),
  /** The `provider_options.fal` fields this model takes. */
  options: z.array(z.enum(FAL_OPTION_NAMES)).default([]),
});
/** Parsed fal routing facts. */
export type FalProviderData = z.infer<typeof falProviderDataSchema>;
/** fal routing facts as written in a catalog. */
export type FalProviderDataInput = z.input<typeof falProviderDataSchema>;

/** Aspect ratios of FLUX 1.1 pro ultra on fal (UNCONFIRMED pixel sizes, about 4 megapixels). */
const ULTRA_RATIOS: Record<string, string> = {
  '1:1': '2048x2048',
  '16:9': '2752x1536',
  '9:16': '1536x2752',
  '4:3': '2368x1792',
  '3:4': '1792x2368',
  '21:9': '3136x1344',
  '9:21': '1344x3136',
};

/** Aspect ratios of Imagen 4 on fal (the 1K sizes of Google's table, reference section 3.1). */
const IMAGEN_RATIOS: Record<string, string> = {
  '1:1': '1024x1024',
  '3:4': '896x1280',
  '4:3': '1280x896',
  '9:16': '768x1408',
  '16:9': '1408x768',
};

/** Recraft v3 styles (UNCONFIRMED: the main style families only). */
export const FAL_RECRAFT_STYLES = [
  'any',
  'realistic_image',
  'digital_illustration',
  'vector_illustration',
] as const;
/** Ideogram v3 styles (UNCONFIRMED). */
export const FAL_IDEOGRAM_STYLES = ['AUTO', 'GENERAL', 'REALISTIC', 'DESIGN'] as const;

/** Options for building the catalog. */
export interface FalCatalogOptions {
  /** Provider id written into each descriptor (default `fal`). */
  providerId?: string;
}

interface Spec {
  id: string;
  displayName: string;
  description: string;
  data: FalProviderDataInput;
  /** Per-image price in US dollars (UNCONFIRMED; megapixel-priced models at 1 megapixel). */
  usd: number;
  ratios?: Record<string, string>;
  /** Custom width/height bounds, for models that take `{ width, height }` besides the presets. */
  custom?: { minSide: number; maxSide: number; multipleOf: number };
  maxImages: number;
  seed: boolean;
  negativePrompt?: boolean;
  styles?: readonly string[];
  outputFormats?: Array<'png' | 'jpeg'>;
  lifecycle?: ModelDescriptorInput['lifecycle'];
}

const PROMPT_LIMIT = 10_000; // UNCONFIRMED

function descriptor(spec: Spec, provider: string): ModelDescriptorInput {
  const byRatio = spec.ratios !== undefined;
  const formats = spec.outputFormats ?? ['jpeg', 'png'];
  return {
    id: spec.id,
    provider,
    displayName: spec.displayName,
    description: spec.description,
    capabilities: {
      sizes: byRatio ? [] : Object.values(FAL_IMAGE_SIZE_PRESETS),
      ...(spec.custom ? { sizeRule: spec.custom } : {}),
      ...(byRatio ? { aspectRatios: { ...spec.ratios } } : {}),
      maxImagesPerCall: spec.maxImages,
      maxImagesPerRequest: Math.max(4, spec.maxImages),
      styles: [...(spec.styles ?? [])],
      outputFormats: formats,
      maxPromptLength: PROMPT_LIMIT,
      seed: spec.seed,
      negativePrompt: spec.negativePrompt ?? false,
    },
    defaults: {
      ...(byRatio ? { aspectRatio: '1:1' } : { size: '1024x768' }),
      outputFormat: formats[0]!,
      ...(spec.styles?.length ? { style: spec.styles[0]! } : {}),
    },
    pricing: {
      perImage: [{ usd: spec.usd }],
      source: 'UNCONFIRMED: fal model pages as of 2026 (not cited); override per contract',
    },
    lifecycle: spec.lifecycle ?? { status: 'active', note: 'UNCONFIRMED: no dated lifecycle source.' },
    providerData: spec.data,
  };
}

const FLUX_CUSTOM = { minSide: 256, maxSide: 2048, multipleOf: 16 }; // UNCONFIRMED bounds

const SPECS: Spec[] = [
  {
    id: 'fal-ai/flux/dev',
    displayName: 'FLUX.1 [dev] on fal',
    description:
      'FLUX dev through the fal queue: image_size presets or custom sizes, up to 4 images per request.',
    data: {
      endpoint: 'fal-ai/flux/dev',
      mode: 'queue',
      sizing: 'image_size',
      options: ['num_inference_steps', 'guidance_scale', 'enable_safety_checker'],
    },
    usd: 0.025,
    custom: FLUX_CUSTOM,
    maxImages: 4,
    seed: true,
  },
  {
    id: 'fal-ai/flux/schnell',
    displayName: 'FLUX.1 [schnell] on fal',
    description: 'FLUX schnell on the synchronous endpoint (fast enough not to queue).',
    data: {
      endpoint: 'fal-ai/flux/schnell',
      mode: 'sync',
      sizing: 'image_size',
      options: ['num_inference_steps', 'enable_safety_checker'],
    },
    usd: 0.003,
    custom: FLUX_CUSTOM,
    maxImages: 4,
    seed: true,
  },
  {
    id: 'fal-ai/flux-pro/v1.1-ultra',
    displayName: 'FLUX 1.1 [pro] ultra on fal',
    description: 'FLUX 1.1 pro ultra through the fal queue: about 4 megapixels by aspect ratio, raw mode.',
    data: {
      endpoint: 'fal-ai/flux-pro/v1.1-ultra',
      mode: 'queue',
      sizing: 'aspect_ratio',
      options: ['safety_tolerance', 'raw', 'enable_safety_checker'],
    },
    usd: 0.06,
    ratios: ULTRA_RATIOS,
    maxImages: 1,
    seed: true,
  },
  {
    id: 'fal-ai/recraft/v3/text-to-image',
    displayName: 'Recraft V3 on fal',
    description: 'Recraft V3 raster styles through the fal queue (image_size presets, one image).',
    data: {
      endpoint: 'fal-ai/recraft/v3/text-to-image',
      mode: 'queue',
      sizing: 'image_size',
      numImages: false,
      outputFormat: false,
      style: true,
    },
    usd: 0.04,
    maxImages: 1,
    seed: false,
    styles: FAL_RECRAFT_STYLES,
    outputFormats: ['png'],
  },
  {
    id: 'fal-ai/ideogram/v3',
    displayName: 'Ideogram 3.0 on fal',
    description: 'Ideogram v3 through the fal queue: presets, styles, negative prompt, rendering speed.',
    data: {
      endpoint: 'fal-ai/ideogram/v3',
      mode: 'queue',
      sizing: 'image_size',
      outputFormat: false,
      style: true,
      options: ['rendering_speed'],
    },
    usd: 0.06,
    maxImages: 4,
    seed: true,
    negativePrompt: true,
    styles: FAL_IDEOGRAM_STYLES,
    outputFormats: ['png'],
  },
  {
    id: 'fal-ai/imagen4/preview',
    displayName: 'Imagen 4 on fal',
    description: 'Google Imagen 4 through the fal queue, by aspect ratio.',
    data: { endpoint: 'fal-ai/imagen4/preview', mode: 'queue', sizing: 'aspect_ratio', outputFormat: false },
    usd: 0.05,
    ratios: IMAGEN_RATIOS,
    maxImages: 4,
    seed: true,
    negativePrompt: true,
    outputFormats: ['png'],
    lifecycle: {
      status: 'deprecated',
      note: 'Google lists every Imagen model for shutdown in 2026 (provider-apis.md section 0); whether and until when fal keeps serving it is UNCONFIRMED.',
    },
  },
  {
    id: 'fal-ai/bytedance/seedream/v4/text-to-image',
    displayName: 'Seedream 4.0 on fal',
    description: 'ByteDance Seedream 4 through the fal queue: presets or custom sizes up to 4096.',
    data: {
      endpoint: 'fal-ai/bytedance/seedream/v4/text-to-image',
      mode: 'queue',
      sizing: 'image_size',
      outputFormat: false,
      options: ['enable_safety_checker'],
    },
    usd: 0.03,
    custom: { minSide: 512, maxSide: 4096, multipleOf: 1 },
    maxImages: 4,
    seed: true,
    outputFormats: ['png'],
  },
];

/** Builds the catalog (a function so the provider id can be set per registration). */
export function falModels(options: FalCatalogOptions = {}): ModelDescriptorInput[] {
  return SPECS.map((spec) => descriptor(spec, options.providerId ?? 'fal'));
}

/** The catalog with default settings. */
export const FAL_MODELS: ReadonlyArray<ModelDescriptorInput> = Object.freeze(falModels());

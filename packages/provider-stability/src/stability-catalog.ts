/**
 * The Stability AI model catalog, as data. Every fact here comes from the shared wire reference
 * (provider-apis.md, section 2); anything that reference marks UNCONFIRMED says so in a comment and
 * can be replaced by configuration (`aspectRatioSizes`, `creditPriceUsd`, `models`).
 */
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { z } from 'zod';
import { stabilityEditModels } from './stability-edit-catalog.ts';
import { STABILITY_EDIT_OPERATIONS, type StabilityEditOperation } from './stability-edit-operations.ts';

/** The 17 style presets shared by v2beta (core, sd3, and ultra in the newer spec) and v1. */
export const STABILITY_STYLE_PRESETS = [
  '3d-model',
  'analog-film',
  'anime',
  'cinematic',
  'comic-book',
  'digital-art',
  'enhance',
  'fantasy-art',
  'isometric',
  'line-art',
  'low-poly',
  'modeling-compound',
  'neon-punk',
  'origami',
  'photographic',
  'pixel-art',
  'tile-texture',
] as const;

/** The nine `aspect_ratio` values of the v2beta generate endpoints (`1:1` is the default). */
export const STABILITY_ASPECT_RATIOS = [
  '16:9',
  '1:1',
  '21:9',
  '2:3',
  '3:2',
  '4:5',
  '5:4',
  '9:16',
  '9:21',
] as const;

/** The sd3 endpoint's `model` values, plus the legacy ids Stability routes to them since 2025-04-17. */
export const STABILITY_SD3_MODELS = [
  'sd3.5-large',
  'sd3.5-large-turbo',
  'sd3.5-medium',
  'sd3.5-flash',
] as const;

/** Legacy sd3 ids and the sd3.5 model Stability routes each to (reference 2.1, `model` row). */
export const STABILITY_SD3_LEGACY_MODELS: Readonly<Record<string, (typeof STABILITY_SD3_MODELS)[number]>> = {
  'sd3-large': 'sd3.5-large',
  'sd3-large-turbo': 'sd3.5-large-turbo',
  'sd3-medium': 'sd3.5-medium',
};

/** v1 samplers (reference 2.2). */
export const STABILITY_V1_SAMPLERS = [
  'DDIM',
  'DDPM',
  'K_DPMPP_2M',
  'K_DPMPP_2S_ANCESTRAL',
  'K_DPM_2',
  'K_DPM_2_ANCESTRAL',
  'K_EULER',
  'K_EULER_ANCESTRAL',
  'K_HEUN',
  'K_LMS',
] as const;

/** v1 CLIP guidance presets (reference 2.2). */
export const STABILITY_V1_CLIP_GUIDANCE_PRESETS = [
  'FAST_BLUE',
  'FAST_GREEN',
  'NONE',
  'SIMPLE',
  'SLOW',
  'SLOWER',
  'SLOWEST',
] as const;

/** The only sizes SDXL v1.0 and v0.9 accept; anything else is `invalid_sdxl_v1_dimensions`. */
export const SDXL_V1_SIZES = [
  '1024x1024',
  '1152x896',
  '1216x832',
  '1344x768',
  '1536x640',
  '640x1536',
  '768x1344',
  '832x1216',
  '896x1152',
] as const;

/** The pixel size each ratio produces, per v2beta endpoint family. */
export type AspectRatioSizes = Record<string, string>;

/**
 * Ultra and sd3 produce "1 megapixel (default 1024x1024)". Only `1:1` = 1024x1024 is stated by the
 * reference; the other pixel sizes are UNCONFIRMED: they are the 1-megapixel buckets (sides
 * multiples of 64) that SDXL-family models use. Replace them with `aspectRatioSizes` once measured;
 * the plugin warns when an image comes back at another size.
 */
export const ONE_MEGAPIXEL_RATIO_SIZES: Readonly<AspectRatioSizes> = Object.freeze({
  '1:1': '1024x1024',
  '16:9': '1344x768', // UNCONFIRMED
  '21:9': '1536x640', // UNCONFIRMED
  '2:3': '832x1216', // UNCONFIRMED
  '3:2': '1216x832', // UNCONFIRMED
  '4:5': '896x1088', // UNCONFIRMED
  '5:4': '1088x896', // UNCONFIRMED
  '9:16': '768x1344', // UNCONFIRMED
  '9:21': '640x1536', // UNCONFIRMED
});

/**
 * Core produces "1.5 megapixels". Every pixel size here is UNCONFIRMED: each is 1.5 x 2^20 pixels
 * at the ratio, sides rounded to multiples of 64. Replace them with `aspectRatioSizes` once measured.
 */
export const ONE_AND_A_HALF_MEGAPIXEL_RATIO_SIZES: Readonly<AspectRatioSizes> = Object.freeze({
  '1:1': '1280x1280', // UNCONFIRMED
  '16:9': '1664x960', // UNCONFIRMED
  '21:9': '1920x832', // UNCONFIRMED
  '2:3': '1024x1536', // UNCONFIRMED
  '3:2': '1536x1024', // UNCONFIRMED
  '4:5': '1152x1408', // UNCONFIRMED
  '5:4': '1408x1152', // UNCONFIRMED
  '9:16': '960x1664', // UNCONFIRMED
  '9:21': '832x1920', // UNCONFIRMED
});

/** Which v2beta endpoint a model speaks to (the last path segment). */
export type StabilityEndpoint = 'ultra' | 'core' | 'sd3';

/** The default ratio → pixel size table of each v2beta endpoint. */
export const DEFAULT_ASPECT_RATIO_SIZES: Readonly<Record<StabilityEndpoint, Readonly<AspectRatioSizes>>> =
  Object.freeze({
    ultra: ONE_MEGAPIXEL_RATIO_SIZES,
    core: ONE_AND_A_HALF_MEGAPIXEL_RATIO_SIZES,
    sd3: ONE_MEGAPIXEL_RATIO_SIZES,
  });

/**
 * Wire routing facts a Stability model carries in `providerData`. Validated by the plugin (core
 * treats it as opaque), so a user-added model with a typo fails at startup, not on the first call.
 */
export const stabilityProviderDataSchema = z.discriminatedUnion('apiFamily', [
  z.strictObject({
    /** The v2beta Stable Image API: multipart/form-data, one image per call. */
    apiFamily: z.literal('v2beta'),
    /** Path below the base URL, e.g. `/v2beta/stable-image/generate/sd3`. */
    endpoint: z.string().regex(/^\/[\w\-./]+$/, 'endpoint must be a path starting with /'),
    /** Which endpoint's rules apply (fields allowed, request limit). */
    endpointKind: z.enum(['ultra', 'core', 'sd3']),
    /** The sd3 endpoint's `model` field for this catalog entry. */
    model: z.string().min(1).optional(),
  }),
  z.strictObject({
    /**
     * The v2beta Stable Image edit endpoints (`/v2beta/stable-image/edit/{operation}`): multipart
     * with the input image (and mask), one image per call, answered like the generate endpoints.
     */
    apiFamily: z.literal('v2beta-edit'),
    /** Path below the base URL, e.g. `/v2beta/stable-image/edit/inpaint`. */
    endpoint: z.string().regex(/^\/[\w\-./]+$/, 'endpoint must be a path starting with /'),
    /** Which edit operation the endpoint performs (fields allowed, mask rules). */
    operation: z.enum(STABILITY_EDIT_OPERATIONS),
  }),
  z.strictObject({
    /** The legacy v1 REST API: JSON body, `artifacts[]`, up to 10 samples per call. */
    apiFamily: z.literal('v1'),
    /** Path below the base URL, e.g. `/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`. */
    endpoint: z.string().regex(/^\/[\w\-./]+$/, 'endpoint must be a path starting with /'),
    /** The engine id (for messages and the fake server). */
    engine: z.string().min(1),
  }),
]);
/** Parsed Stability routing facts. */
export type StabilityProviderData = z.infer<typeof stabilityProviderDataSchema>;

/** Credits per successful image (reference 2.1 and 2.3). Failed generations are not charged. */
export const STABILITY_CREDITS_PER_IMAGE: Readonly<Record<string, number>> = Object.freeze({
  'stable-image-ultra': 8,
  'stable-image-core': 3,
  'sd3.5-large': 6.5,
  'sd3.5-large-turbo': 4,
  'sd3.5-medium': 3.5,
  'sd3.5-flash': 2.5,
  /**
   * UNCONFIRMED: SDXL 1.0 is priced by steps, estimated at about 0.2 to 0.9 credits per image at
   * default settings. The upper bound is used so that budgets never under-reserve.
   */
  'stable-diffusion-xl-1024-v1-0': 0.9,
});

/** One credit costs $0.01 (a 1,000-credit top-up costs $10; reference 2.3, third-party sources). */
export const DEFAULT_CREDIT_PRICE_USD = 0.01;

/** Options for building the catalog. */
export interface StabilityCatalogOptions {
  /** Provider id written into each descriptor (default `stability`). */
  providerId?: string;
  /** US dollars per credit (default $0.01). Contract prices differ; set yours. */
  creditPriceUsd?: number;
  /** Replacement ratio → pixel size tables per v2beta endpoint (the defaults are partly UNCONFIRMED). */
  aspectRatioSizes?: Partial<Record<StabilityEndpoint, AspectRatioSizes>>;
  /** Credits per successful edit, per operation, replacing the UNCONFIRMED defaults. */
  editCredits?: Partial<Record<StabilityEditOperation, number>>;
}

const V2BETA_PROMPT_LIMIT = 10_000;
const V1_PROMPT_LIMIT = 2_000;
const V2BETA_MAX_SEED = 4_294_967_294;
const V1_MAX_SEED = 4_294_967_295;

function price(
  modelId: string,
  creditPriceUsd: number,
  note?: string,
): NonNullable<ModelDescriptorInput['pricing']> {
  const credits = STABILITY_CREDITS_PER_IMAGE[modelId];
  if (credits === undefined) return { perImage: [] };
  return {
    perImage: [{ usd: Math.round(credits * creditPriceUsd * 1_000_000) / 1_000_000 }],
    source: `Stability credits: ${credits} per successful image at $${creditPriceUsd} per credit${note ? `; ${note}` : ''}`,
  };
}

/**
 * Builds the catalog. A function rather than a constant because the credit price and the
 * UNCONFIRMED ratio pixel sizes are deployment settings.
 */
export function stabilityModels(options: StabilityCatalogOptions = {}): ModelDescriptorInput[] {
  const provider = options.providerId ?? 'stability';
  const credit = options.creditPriceUsd ?? DEFAULT_CREDIT_PRICE_USD;
  const ratios = (endpoint: StabilityEndpoint): AspectRatioSizes => ({
    ...(options.aspectRatioSizes?.[endpoint] ?? DEFAULT_ASPECT_RATIO_SIZES[endpoint]),
  });
  const v2beta = (
    id: string,
    endpoint: StabilityEndpoint,
    extra: {
      displayName: string;
      description: string;
      styles: readonly string[];
      model?: string;
      aliases?: string[];
    },
  ): ModelDescriptorInput => ({
    id,
    provider,
    aliases: extra.aliases ?? [],
    displayName: extra.displayName,
    description: extra.description,
    capabilities: {
      sizes: [],
      aspectRatios: ratios(endpoint),
      // v2beta returns exactly one image per call; the core's dispatch splits n into calls.
      maxImagesPerCall: 1,
      maxImagesPerRequest: 10,
      qualities: [],
      styles: [...extra.styles],
      outputFormats: ['png', 'jpeg', 'webp'],
      outputCompression: false,
      maxPromptLength: V2BETA_PROMPT_LIMIT,
      seed: true,
      maxSeed: V2BETA_MAX_SEED,
      negativePrompt: true,
      maxNegativePromptLength: V2BETA_PROMPT_LIMIT,
    },
    defaults: { aspectRatio: '1:1', outputFormat: 'png' },
    pricing: price(id, credit),
    lifecycle: { status: 'active' },
    providerData: {
      apiFamily: 'v2beta',
      endpoint: `/v2beta/stable-image/generate/${endpoint}`,
      endpointKind: endpoint,
      ...(extra.model ? { model: extra.model } : {}),
    } satisfies StabilityProviderData,
  });
  const sd3 = (
    id: (typeof STABILITY_SD3_MODELS)[number],
    displayName: string,
    description: string,
  ): ModelDescriptorInput =>
    v2beta(id, 'sd3', {
      displayName,
      description,
      styles: STABILITY_STYLE_PRESETS,
      model: id,
      aliases: Object.entries(STABILITY_SD3_LEGACY_MODELS)
        .filter(([, target]) => target === id)
        .map(([legacy]) => legacy),
    });

  return [
    v2beta('stable-image-ultra', 'ultra', {
      displayName: 'Stable Image Ultra',
      description:
        "Stability's highest-quality text-to-image model (v2beta), about 1 megapixel per image, 8 credits.",
      // The older vendor reference lists no style_preset for ultra (the newer generated spec does):
      // left out until confirmed; add it with a `models` override if your account accepts it.
      styles: [],
    }),
    v2beta('stable-image-core', 'core', {
      displayName: 'Stable Image Core',
      description: 'Fast, affordable text-to-image (v2beta), about 1.5 megapixels per image, 3 credits.',
      styles: STABILITY_STYLE_PRESETS,
    }),
    sd3(
      'sd3.5-large',
      'Stable Diffusion 3.5 Large',
      'SD3.5 Large on the v2beta sd3 endpoint, 1 megapixel, 6.5 credits.',
    ),
    sd3(
      'sd3.5-large-turbo',
      'Stable Diffusion 3.5 Large Turbo',
      'SD3.5 Large Turbo on the v2beta sd3 endpoint, 1 megapixel, 4 credits.',
    ),
    sd3(
      'sd3.5-medium',
      'Stable Diffusion 3.5 Medium',
      'SD3.5 Medium on the v2beta sd3 endpoint, 1 megapixel, 3.5 credits.',
    ),
    sd3(
      'sd3.5-flash',
      'Stable Diffusion 3.5 Flash',
      'SD3.5 Flash on the v2beta sd3 endpoint, 1 megapixel, 2.5 credits.',
    ),
    {
      id: 'stable-diffusion-xl-1024-v1-0',
      provider,
      aliases: ['sdxl-1.0', 'sdxl'],
      displayName: 'Stable Diffusion XL 1.0 (v1 API)',
      description:
        'SDXL 1.0 on the legacy v1 REST API (JSON), nine fixed sizes, up to 10 images per call. Also the shape many self-hosted SDXL servers speak.',
      capabilities: {
        sizes: [...SDXL_V1_SIZES],
        aspectRatios: {},
        maxImagesPerCall: 10,
        maxImagesPerRequest: 10,
        qualities: [],
        styles: [...STABILITY_STYLE_PRESETS],
        outputFormats: ['png'],
        outputCompression: false,
        maxPromptLength: V1_PROMPT_LIMIT,
        seed: true,
        maxSeed: V1_MAX_SEED,
        negativePrompt: true,
        maxNegativePromptLength: V1_PROMPT_LIMIT,
      },
      defaults: { size: '1024x1024', outputFormat: 'png' },
      pricing: price(
        'stable-diffusion-xl-1024-v1-0',
        credit,
        'UNCONFIRMED: SDXL is priced by steps (about 0.2 to 0.9 credits at default settings); the upper bound is reserved',
      ),
      lifecycle: {
        status: 'deprecated',
        replacement: 'sd3.5-large',
        note: 'UNCONFIRMED: a third-party guide says the legacy v1 generation API is deprecated and answers 404; no Stability source confirms it or gives a date. Self-hosted SDXL servers speaking this API are unaffected.',
      },
      providerData: {
        apiFamily: 'v1',
        endpoint: '/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image',
        engine: 'stable-diffusion-xl-1024-v1-0',
      } satisfies StabilityProviderData,
    },
    ...stabilityEditModels({
      provider,
      creditPriceUsd: credit,
      ...(options.editCredits ? { editCredits: options.editCredits } : {}),
      stylePresets: STABILITY_STYLE_PRESETS,
      promptLimit: V2BETA_PROMPT_LIMIT,
      maxSeed: V2BETA_MAX_SEED,
    }),
  ];
}

/** The catalog with default settings ($0.01 per credit, default ratio sizes). */
export const STABILITY_MODELS: ReadonlyArray<ModelDescriptorInput> = Object.freeze(stabilityModels());

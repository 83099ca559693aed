/**
 * The Black Forest Labs model catalog, as data. The shared wire reference (provider-apis.md) has
 * no BFL section yet, so the endpoints, size rules, ratio sizes and prices below come from the
 * issue and BFL's public docs as we understood them and are UNCONFIRMED unless a comment says
 * otherwise; every one of them can be replaced by configuration (`models`, `creditPriceUsd`).
 */
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { z } from 'zod';

/**
 * Wire routing facts a BFL model carries in `providerData`, validated by the plugin at startup so
 * a user-added model with a typo fails there, not on the first call.
 */
export const bflProviderDataSchema = z.strictObject({
  /** Path below the base URL, e.g. `/v1/flux-pro-1.1`. */
  endpoint: z.string().regex(/^\/[\w\-./]+$/, 'endpoint must be a path starting with /'),
  /** How the size is sent: `width`/`height` fields, or an `aspect_ratio` field. */
  sizing: z.enum(['dimensions', 'aspect_ratio']),
  /** The `provider_options.bfl` fields this endpoint takes (besides the common ones). */
  options: z.array(z.enum(['raw', 'steps', 'guidance', 'prompt_upsampling'])).default([]),
});
/** Parsed BFL routing facts. */
export type BflProviderData = z.infer<typeof bflProviderDataSchema>;

/**
 * Approximate pixel sizes per aspect ratio. UNCONFIRMED: BFL states about 4 megapixels for FLUX
 * 1.1 pro ultra and about 1 megapixel for Kontext; the exact sides are our multiples-of-32 guesses.
 * The plugin warns when an image comes back at another size.
 */
export const BFL_ULTRA_RATIO_SIZES: Readonly<Record<string, string>> = Object.freeze({
  '1:1': '2048x2048',
  '16:9': '2752x1536',
  '9:16': '1536x2752',
  '4:3': '2368x1792',
  '3:4': '1792x2368',
  '21:9': '3136x1344',
  '9:21': '1344x3136',
});

/** Kontext ratios (UNCONFIRMED pixel sizes, about 1 megapixel). */
export const BFL_KONTEXT_RATIO_SIZES: Readonly<Record<string, string>> = Object.freeze({
  '1:1': '1024x1024',
  '16:9': '1392x752',
  '9:16': '752x1392',
  '4:3': '1184x880',
  '3:4': '880x1184',
  '21:9': '1568x672',
  '9:21': '672x1568',
});

/**
 * Price per image in US dollars. UNCONFIRMED (BFL's pricing page as remembered, not a cited
 * source): replace with your contract's figures through `models`. FLUX.2 is priced per megapixel
 * upstream; the figure here is the 1-megapixel price and is reserved whatever the size.
 */
export const BFL_PRICES_USD: Readonly<Record<string, number>> = Object.freeze({
  'flux-pro-1.1': 0.04,
  'flux-pro-1.1-ultra': 0.06,
  'flux-dev': 0.025,
  'flux-kontext-pro': 0.04,
  'flux-kontext-max': 0.08,
  'flux-2-pro': 0.03,
  'flux-2-flex': 0.06,
});

/** US dollars per BFL credit, used to turn a reply's `cost` (credits) into a reported cost. UNCONFIRMED. */
export const BFL_DEFAULT_CREDIT_PRICE_USD = 0.01;

/** Options for building the catalog. */
export interface BflCatalogOptions {
  /** Provider id written into each descriptor (default `bfl`). */
  providerId?: string;
}

const PROMPT_LIMIT = 10_000; // UNCONFIRMED: BFL documents no prompt length limit we could cite.
const MAX_SEED = 4_294_967_295; // UNCONFIRMED

interface Spec {
  id: string;
  displayName: string;
  description: string;
  data: BflProviderData;
  sizes:
    | { rule: { minSide: number; maxSide: number; multipleOf: number } }
    | { ratios: Record<string, string> };
  defaultSize?: string;
}

function descriptor(spec: Spec, provider: string): ModelDescriptorInput {
  const usd = BFL_PRICES_USD[spec.id];
  const byRule = 'rule' in spec.sizes;
  return {
    id: spec.id,
    provider,
    displayName: spec.displayName,
    description: spec.description,
    capabilities: {
      sizes: [],
      ...('rule' in spec.sizes ? { sizeRule: spec.sizes.rule } : { aspectRatios: { ...spec.sizes.ratios } }),
      // One sample per task; dispatch splits n into tasks.
      maxImagesPerCall: 1,
      maxImagesPerRequest: 4,
      outputFormats: ['jpeg', 'png'],
      maxPromptLength: PROMPT_LIMIT,
      seed: true,
      maxSeed: MAX_SEED,
      negativePrompt: false,
    },
    defaults: byRule
      ? { size: spec.defaultSize ?? '1024x1024', outputFormat: 'png' }
      : { aspectRatio: '1:1', outputFormat: 'png' },
    pricing:
      usd === undefined
        ? { perImage: [] }
        : {
            perImage: [{ usd }],
            source: 'UNCONFIRMED: BFL pricing page as of 2026 (not cited); override per contract',
          },
    lifecycle: {
      status: 'active',
      note: 'UNCONFIRMED: no dated lifecycle source; check BFL before relying on it.',
    },
    providerData: spec.data,
  };
}

const DIMENSIONS_1440 = { rule: { minSide: 256, maxSide: 1440, multipleOf: 32 } };

/** Builds the catalog (a function so the provider id can be set per registration). */
export function bflModels(options: BflCatalogOptions = {}): ModelDescriptorInput[] {
  const provider = options.providerId ?? 'bfl';
  const specs: Spec[] = [
    {
      id: 'flux-pro-1.1',
      displayName: 'FLUX 1.1 [pro]',
      description: 'FLUX 1.1 pro: width and height in multiples of 32 from 256 to 1440.',
      data: { endpoint: '/v1/flux-pro-1.1', sizing: 'dimensions', options: ['prompt_upsampling'] },
      sizes: DIMENSIONS_1440,
    },
    {
      id: 'flux-pro-1.1-ultra',
      displayName: 'FLUX 1.1 [pro] ultra',
      description: 'FLUX 1.1 pro ultra: about 4 megapixels by aspect ratio, with a `raw` mode.',
      data: {
        endpoint: '/v1/flux-pro-1.1-ultra',
        sizing: 'aspect_ratio',
        options: ['raw', 'prompt_upsampling'],
      },
      sizes: { ratios: { ...BFL_ULTRA_RATIO_SIZES } },
    },
    {
      id: 'flux-dev',
      displayName: 'FLUX [dev]',
      description: 'FLUX dev: width and height in multiples of 32, steps and guidance.',
      data: {
        endpoint: '/v1/flux-dev',
        sizing: 'dimensions',
        options: ['steps', 'guidance', 'prompt_upsampling'],
      },
      sizes: DIMENSIONS_1440,
    },
    {
      id: 'flux-kontext-pro',
      displayName: 'FLUX.1 Kontext [pro]',
      description:
        'FLUX Kontext pro: text-to-image by aspect ratio (image edits arrive with the edits operation).',
      data: { endpoint: '/v1/flux-kontext-pro', sizing: 'aspect_ratio', options: ['prompt_upsampling'] },
      sizes: { ratios: { ...BFL_KONTEXT_RATIO_SIZES } },
    },
    {
      id: 'flux-kontext-max',
      displayName: 'FLUX.1 Kontext [max]',
      description:
        'FLUX Kontext max: text-to-image by aspect ratio (image edits arrive with the edits operation).',
      data: { endpoint: '/v1/flux-kontext-max', sizing: 'aspect_ratio', options: ['prompt_upsampling'] },
      sizes: { ratios: { ...BFL_KONTEXT_RATIO_SIZES } },
    },
    {
      id: 'flux-2-pro',
      displayName: 'FLUX.2 [pro]',
      description: 'FLUX.2 pro: width and height in multiples of 16 (UNCONFIRMED bounds 64 to 2048).',
      data: { endpoint: '/v1/flux-2-pro', sizing: 'dimensions', options: [] },
      sizes: { rule: { minSide: 64, maxSide: 2048, multipleOf: 16 } },
    },
    {
      id: 'flux-2-flex',
      displayName: 'FLUX.2 [flex]',
      description:
        'FLUX.2 flex: width and height in multiples of 16, steps and guidance (UNCONFIRMED bounds).',
      data: {
        endpoint: '/v1/flux-2-flex',
        sizing: 'dimensions',
        options: ['steps', 'guidance', 'prompt_upsampling'],
      },
      sizes: { rule: { minSide: 64, maxSide: 2048, multipleOf: 16 } },
    },
  ];
  return specs.map((spec) => descriptor(spec, provider));
}

/** The catalog with default settings. */
export const BFL_MODELS: ReadonlyArray<ModelDescriptorInput> = Object.freeze(bflModels());

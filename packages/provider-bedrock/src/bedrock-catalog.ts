/**
 * The Amazon Bedrock image model catalog, as data: Nova Canvas, Titan Image Generator v2 and the
 * Stability models Bedrock hosts. The shared wire reference (provider-apis.md) has no Bedrock
 * section, so parameter ranges, sizes, prices and per-region availability come from the issue and
 * AWS's public model documentation as we understood it and are UNCONFIRMED unless a comment says
 * otherwise. Override any of it with `models` and `regionAvailability`.
 */
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { z } from 'zod';

/** Price tiers by pixel count, per quality (Nova Canvas is priced by resolution band). */
const priceTierSchema = z.strictObject({
  /** The tier applies to images of at most this many pixels. */
  maxPixels: z.number().int().positive(),
  /** US dollars per image, by quality (`standard`, `premium`); `default` when the model has no quality. */
  usd: z.record(z.string(), z.number().nonnegative()),
});

/**
 * Wire routing facts a Bedrock model carries in `providerData`, validated by the plugin at startup.
 */
export const bedrockProviderDataSchema = z.strictObject({
  /** Which request and response shape the model speaks. */
  family: z.enum(['amazon-image', 'stability']),
  /** The id sent to InvokeModel when it differs from the catalog id (an inference profile such as `us.…`). */
  modelId: z.string().min(1).optional(),
  /** Regions serving the model (UNCONFIRMED defaults; replace with `regionAvailability`). */
  regions: z.array(z.string().min(1)).default([]),
  /** Price tiers for the cost the plugin reports per call (cheapest matching tier wins). */
  priceTiers: z.array(priceTierSchema).default([]),
});
/** Parsed Bedrock routing facts. */
export type BedrockProviderData = z.infer<typeof bedrockProviderDataSchema>;
/** Bedrock routing facts as written in a catalog. */
export type BedrockProviderDataInput = z.input<typeof bedrockProviderDataSchema>;

/** Titan Image Generator v2's fixed sizes (UNCONFIRMED list, after AWS's Titan parameters page). */
export const TITAN_V2_SIZES = [
  '1024x1024',
  '768x768',
  '512x512',
  '768x1152',
  '384x576',
  '1152x768',
  '576x384',
  '768x1280',
  '384x640',
  '1280x768',
  '640x384',
  '896x1152',
  '448x576',
  '1152x896',
  '576x448',
  '768x1408',
  '384x704',
  '1408x768',
  '704x384',
  '640x1408',
  '320x704',
  '1408x640',
  '704x320',
  '1152x640',
  '1173x640',
] as const;

/** Stability aspect ratios on Bedrock, about 1 megapixel (UNCONFIRMED pixel sizes). */
export const BEDROCK_STABILITY_RATIO_SIZES: Readonly<Record<string, string>> = Object.freeze({
  '1:1': '1024x1024',
  '16:9': '1344x768',
  '21:9': '1536x640',
  '2:3': '832x1216',
  '3:2': '1216x832',
  '4:5': '896x1088',
  '5:4': '1088x896',
  '9:16': '768x1344',
  '9:21': '640x1536',
});

/** Default per-region availability (UNCONFIRMED; AWS changes it often). */
export const BEDROCK_DEFAULT_REGIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'amazon.nova-canvas-v1:0': ['us-east-1', 'eu-west-1', 'ap-northeast-1'],
  'amazon.titan-image-generator-v2:0': ['us-east-1', 'us-west-2'],
  'stability.sd3-5-large-v1:0': ['us-west-2'],
  'stability.stable-image-core-v1:1': ['us-west-2'],
  'stability.stable-image-ultra-v1:1': ['us-west-2'],
});

const ONE_MP = 1024 * 1024;

function amazonImage(spec: {
  id: string;
  displayName: string;
  description: string;
  sizes: Pick<ModelDescriptorInput['capabilities'], 'sizes' | 'sizeRule'>;
  maxPromptLength: number;
  maxSeed: number;
  tiers: BedrockProviderDataInput['priceTiers'] & object;
}): ModelDescriptorInput {
  const rows = spec.tiers.flatMap((tier) =>
    Object.entries(tier.usd).map(([quality, usd]) => ({ quality, usd })),
  );
  // Reserve at the dearest tier per quality (never under-reserve); the call reports its real tier.
  const dearest = ['standard', 'premium'].map((quality) => ({
    quality,
    usd: Math.max(...rows.filter((row) => row.quality === quality).map((row) => row.usd)),
  }));
  return {
    id: spec.id,
    displayName: spec.displayName,
    description: spec.description,
    provider: 'bedrock',
    capabilities: {
      ...spec.sizes,
      maxImagesPerCall: 5,
      maxImagesPerRequest: 10,
      qualities: ['standard', 'premium'],
      outputFormats: ['png'],
      maxPromptLength: spec.maxPromptLength,
      seed: true,
      maxSeed: spec.maxSeed,
      negativePrompt: true,
      maxNegativePromptLength: spec.maxPromptLength,
    },
    defaults: { size: '1024x1024', quality: 'standard', outputFormat: 'png' },
    pricing: {
      perImage: dearest,
      source:
        'UNCONFIRMED: AWS Bedrock pricing page as of 2026 (not cited); the call reports its resolution tier',
    },
    lifecycle: { status: 'active', note: 'UNCONFIRMED: no dated lifecycle source.' },
    providerData: {
      family: 'amazon-image',
      regions: [...(BEDROCK_DEFAULT_REGIONS[spec.id] ?? [])],
      priceTiers: spec.tiers,
    },
  };
}

function stability(id: string, displayName: string, usd: number, description: string): ModelDescriptorInput {
  return {
    id,
    displayName,
    description,
    provider: 'bedrock',
    capabilities: {
      sizes: [],
      aspectRatios: { ...BEDROCK_STABILITY_RATIO_SIZES },
      maxImagesPerCall: 1,
      maxImagesPerRequest: 10,
      outputFormats: ['png', 'jpeg'],
      maxPromptLength: 10_000,
      seed: true,
      maxSeed: 4_294_967_294,
      negativePrompt: true,
      maxNegativePromptLength: 10_000,
    },
    defaults: { aspectRatio: '1:1', outputFormat: 'png' },
    pricing: { perImage: [{ usd }], source: 'UNCONFIRMED: AWS Bedrock pricing page as of 2026 (not cited)' },
    lifecycle: { status: 'active', note: 'UNCONFIRMED: no dated lifecycle source.' },
    providerData: {
      family: 'stability',
      regions: [...(BEDROCK_DEFAULT_REGIONS[id] ?? [])],
      priceTiers: [{ maxPixels: 16 * ONE_MP, usd: { default: usd } }],
    },
  };
}

/** Builds the catalog (every model, before filtering by region). */
export function bedrockModels(): ModelDescriptorInput[] {
  return [
    amazonImage({
      id: 'amazon.nova-canvas-v1:0',
      displayName: 'Amazon Nova Canvas',
      description:
        'Nova Canvas text-to-image: 320-4096 px sides in multiples of 16, up to 4.19 megapixels, 1-5 images, standard or premium.',
      sizes: {
        sizes: [],
        sizeRule: {
          minSide: 320,
          maxSide: 4096,
          multipleOf: 16,
          maxPixels: 4_194_304,
          minAspectRatio: 0.25,
          maxAspectRatio: 4,
        },
      },
      maxPromptLength: 1024,
      maxSeed: 858_993_459,
      tiers: [
        { maxPixels: ONE_MP, usd: { standard: 0.04, premium: 0.06 } },
        { maxPixels: 4_194_304, usd: { standard: 0.06, premium: 0.08 } },
      ],
    }),
    amazonImage({
      id: 'amazon.titan-image-generator-v2:0',
      displayName: 'Amazon Titan Image Generator v2',
      description: 'Titan Image Generator v2 text-to-image: fixed sizes, 1-5 images, standard or premium.',
      sizes: { sizes: [...TITAN_V2_SIZES] },
      maxPromptLength: 512,
      maxSeed: 2_147_483_646,
      tiers: [
        { maxPixels: 512 * 512, usd: { standard: 0.008, premium: 0.01 } },
        { maxPixels: 1173 * 1024, usd: { standard: 0.01, premium: 0.012 } },
      ],
    }),
    stability(
      'stability.sd3-5-large-v1:0',
      'Stable Diffusion 3.5 Large (Bedrock)',
      0.08,
      'SD 3.5 Large on Bedrock, by aspect ratio, one image per call.',
    ),
    stability(
      'stability.stable-image-core-v1:1',
      'Stable Image Core (Bedrock)',
      0.04,
      'Stable Image Core on Bedrock, by aspect ratio, one image per call.',
    ),
    stability(
      'stability.stable-image-ultra-v1:1',
      'Stable Image Ultra (Bedrock)',
      0.14,
      'Stable Image Ultra on Bedrock, by aspect ratio, one image per call.',
    ),
  ];
}

/** The price of one image of `pixels` at `quality` from the model's tiers, or undefined. */
export function tierPrice(
  data: BedrockProviderData,
  pixels: number,
  quality: string | undefined,
): number | undefined {
  const tier = [...data.priceTiers]
    .sort((a, b) => a.maxPixels - b.maxPixels)
    .find((candidate) => pixels <= candidate.maxPixels);
  return tier?.usd[quality ?? 'default'] ?? tier?.usd.default;
}

/** The catalog with default settings. */
export const BEDROCK_MODELS: ReadonlyArray<ModelDescriptorInput> = Object.freeze(bedrockModels());

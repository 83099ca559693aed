/**
 * The edit half of the Stability catalog: one model per v2beta edit endpoint. A model per
 * endpoint (rather than edit capabilities on the generation models) because each endpoint has
 * its own mask rule, prompt rule, input limits, output formats and price, and the gateway checks
 * all of those as data before anything is sent; the generation models' ids would promise a model
 * choice the edit endpoints do not offer.
 */
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import type { StabilityProviderData } from './stability-catalog.ts';
import {
  STABILITY_EDIT_FACTS,
  STABILITY_EDIT_MIN_SIDE,
  STABILITY_EDIT_OPERATIONS,
  STABILITY_MAX_REQUEST_BYTES,
  type StabilityEditOperation,
  stabilityEditModelId,
} from './stability-edit-operations.ts';

/** What the edit catalog needs from the catalog options. */
export interface StabilityEditCatalogOptions {
  provider: string;
  creditPriceUsd: number;
  /** Credits per operation, replacing the (UNCONFIRMED) defaults. */
  editCredits?: Partial<Record<StabilityEditOperation, number>>;
  stylePresets: readonly string[];
  promptLimit: number;
  maxSeed: number;
}

function editPrice(
  operation: StabilityEditOperation,
  options: StabilityEditCatalogOptions,
): NonNullable<ModelDescriptorInput['pricing']> {
  const configured = options.editCredits?.[operation];
  const credits = configured ?? STABILITY_EDIT_FACTS[operation].credits;
  return {
    perImage: [
      { operation: 'edit', usd: Math.round(credits * options.creditPriceUsd * 1_000_000) / 1_000_000 },
    ],
    source:
      `Stability credits: ${credits} per successful edit at $${options.creditPriceUsd} per credit` +
      (configured === undefined
        ? ' (UNCONFIRMED by the shared reference: taken from Stability API reference text mirrored in a generated SDK; set editCredits)'
        : ' (configured)'),
  };
}

/** The catalog entry of one edit endpoint. */
function editModel(
  operation: StabilityEditOperation,
  options: StabilityEditCatalogOptions,
): ModelDescriptorInput {
  const facts = STABILITY_EDIT_FACTS[operation];
  const negativePrompt = facts.fields.includes('negative_prompt');
  return {
    id: stabilityEditModelId(operation),
    provider: options.provider,
    displayName: facts.displayName,
    description: `${facts.description} One input image, one image per call; the output follows the input's size.`,
    capabilities: {
      // The output size follows the input (and, for outpaint, the extension): `auto` only.
      sizes: ['auto'],
      aspectRatios: {},
      maxImagesPerCall: 1,
      maxImagesPerRequest: 10,
      styles: facts.fields.includes('style_preset') ? [...options.stylePresets] : [],
      outputFormats: [...facts.outputFormats],
      outputCompression: false,
      maxPromptLength: options.promptLimit,
      seed: facts.seed,
      maxSeed: options.maxSeed,
      negativePrompt,
      ...(negativePrompt ? { maxNegativePromptLength: options.promptLimit } : {}),
      edit: {
        maxImages: 1,
        input: {
          mediaTypes: ['image/png', 'image/jpeg', 'image/webp'],
          maxBytes: STABILITY_MAX_REQUEST_BYTES,
          maxPixels: facts.maxPixels,
          minSide: STABILITY_EDIT_MIN_SIDE,
          square: false,
        },
        ...(facts.mask === 'none'
          ? {}
          : { mask: { convention: 'luminance' as const, required: facts.mask === 'required' } }),
        inputFidelity: [],
      },
    },
    defaults: { size: 'auto', outputFormat: 'png' },
    pricing: editPrice(operation, options),
    lifecycle: { status: 'active' },
    providerData: {
      apiFamily: 'v2beta-edit',
      endpoint: `/v2beta/stable-image/edit/${operation}`,
      operation,
    } satisfies StabilityProviderData,
  };
}

/** One model per edit endpoint, in the order of {@link STABILITY_EDIT_OPERATIONS}. */
export function stabilityEditModels(options: StabilityEditCatalogOptions): ModelDescriptorInput[] {
  return STABILITY_EDIT_OPERATIONS.map((operation) => editModel(operation, options));
}

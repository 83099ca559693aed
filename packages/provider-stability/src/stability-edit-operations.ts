/**
 * The v2beta Stable Image edit operations as data: which multipart fields each endpoint takes,
 * how it treats masks and prompts, its input limits and its price in credits. The catalog, the
 * plugin and the fake server all read this one table, so they cannot drift apart.
 *
 * Source: the shared wire reference documents no edit endpoint, so every fact here is
 * UNCONFIRMED by it. They follow Stability's own API reference as mirrored in a generated SDK
 * (`tryAGI/StabilityAI`, request models of `/v2beta/stable-image/edit/*`); prices are
 * configurable (`editCredits`) and limits can be replaced with a `models` override.
 */

/** The native edit operations, each its own endpoint `/v2beta/stable-image/edit/{operation}`. */
export const STABILITY_EDIT_OPERATIONS = [
  'inpaint',
  'erase',
  'outpaint',
  'search-and-replace',
  'remove-background',
] as const;
/** One native edit operation. */
export type StabilityEditOperation = (typeof STABILITY_EDIT_OPERATIONS)[number];

/** How an operation uses the prompt: required, optional, or not a field at all. */
export type PromptRule = 'required' | 'optional' | 'none';

/** What one edit endpoint takes. */
export interface StabilityEditOperationFacts {
  /** Multipart fields besides `image`, `mask`, `output_format` and `seed`. */
  fields: readonly string[];
  /** `required`: a mask (or the image's alpha channel) is needed; `optional`; `none`: no mask field. */
  mask: 'required' | 'optional' | 'none';
  prompt: PromptRule;
  /** Whether the endpoint takes `seed`. */
  seed: boolean;
  /** Largest `grow_mask` (pixels), when the operation has one. */
  maxGrowMask?: number;
  /** Largest input pixel count (every side at least 64 px, at least 4,096 pixels). */
  maxPixels: number;
  /** Whether the input's aspect ratio must lie between 1:2.5 and 2.5:1. */
  limitedAspectRatio: boolean;
  outputFormats: ReadonlyArray<'png' | 'jpeg' | 'webp'>;
  /** Credits per successful image (UNCONFIRMED by the shared reference). */
  credits: number;
  /** Human-readable name for the catalog. */
  displayName: string;
  description: string;
}

const NINE_MEGAPIXELS = 9_437_184;

/** The facts of each operation (see the file comment for their source). */
export const STABILITY_EDIT_FACTS: Readonly<Record<StabilityEditOperation, StabilityEditOperationFacts>> = {
  inpaint: {
    fields: ['prompt', 'negative_prompt', 'grow_mask', 'style_preset'],
    mask: 'required',
    prompt: 'required',
    seed: true,
    maxGrowMask: 100,
    maxPixels: NINE_MEGAPIXELS,
    limitedAspectRatio: false,
    outputFormats: ['png', 'jpeg', 'webp'],
    credits: 5,
    displayName: 'Stable Image Inpaint',
    description:
      'Fills the white area of a mask with what the prompt describes (v2beta edit/inpaint). What an OpenAI-style edit with a mask maps to.',
  },
  erase: {
    fields: ['grow_mask'],
    mask: 'optional',
    prompt: 'none',
    seed: true,
    maxGrowMask: 20,
    maxPixels: NINE_MEGAPIXELS,
    limitedAspectRatio: false,
    outputFormats: ['png', 'jpeg', 'webp'],
    credits: 5,
    displayName: 'Stable Image Erase',
    description:
      'Removes what the white area of the mask (or the transparent area of the image) covers (v2beta edit/erase); takes no prompt.',
  },
  outpaint: {
    fields: ['prompt', 'left', 'right', 'up', 'down', 'creativity', 'style_preset'],
    mask: 'none',
    prompt: 'optional',
    seed: true,
    maxPixels: NINE_MEGAPIXELS,
    limitedAspectRatio: true,
    outputFormats: ['png', 'jpeg', 'webp'],
    credits: 4,
    displayName: 'Stable Image Outpaint',
    description:
      'Extends the image by the given pixels left, right, up and down (v2beta edit/outpaint); the prompt is optional.',
  },
  'search-and-replace': {
    fields: ['prompt', 'search_prompt', 'negative_prompt', 'grow_mask', 'style_preset'],
    mask: 'none',
    prompt: 'required',
    seed: true,
    maxGrowMask: 20,
    maxPixels: NINE_MEGAPIXELS,
    limitedAspectRatio: true,
    outputFormats: ['png', 'jpeg', 'webp'],
    credits: 5,
    displayName: 'Stable Image Search and Replace',
    description:
      'Finds what search_prompt names and replaces it with what the prompt describes, no mask needed (v2beta edit/search-and-replace).',
  },
  'remove-background': {
    fields: [],
    mask: 'none',
    prompt: 'none',
    seed: false,
    maxPixels: 4_194_304,
    limitedAspectRatio: false,
    outputFormats: ['png', 'webp'],
    credits: 5,
    displayName: 'Stable Image Remove Background',
    description:
      'Cuts the foreground out and makes the background transparent (v2beta edit/remove-background); takes no prompt.',
  },
};

/** Every side of an edit's input image must be at least this many pixels. */
export const STABILITY_EDIT_MIN_SIDE = 64;

/** Stability's request limit (413 above it), which the image and mask share. */
export const STABILITY_MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** Largest outpaint extension per direction, in pixels. */
export const STABILITY_MAX_OUTPAINT = 2000;

/** The catalog model id of each operation (`stable-image-inpaint`...). */
export function stabilityEditModelId(operation: StabilityEditOperation): string {
  return `stable-image-${operation}`;
}

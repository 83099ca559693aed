import { z } from 'zod';
import { outputFormatSchema } from '../request/image-request.ts';

const sizeStringSchema = z.string().regex(/^(auto|\d{1,5}x\d{1,5})$/, 'a size is WIDTHxHEIGHT or auto');
const ratioStringSchema = z.string().regex(/^\d{1,3}:\d{1,3}$/, 'an aspect ratio is W:H');

/**
 * Flexible sizes, for models that accept any size within bounds (gpt-image-2: multiples of 16,
 * ratio between 1:3 and 3:1, at most 3840x2160).
 */
export const sizeRuleSchema = z.strictObject({
  /** Smallest allowed side in pixels. */
  minSide: z.number().int().positive(),
  /** Largest allowed side in pixels. */
  maxSide: z.number().int().positive(),
  /** Both sides must be a multiple of this. */
  multipleOf: z.number().int().positive().default(1),
  /** Smallest total pixel count. */
  minPixels: z.number().int().positive().optional(),
  /** Largest total pixel count. */
  maxPixels: z.number().int().positive().optional(),
  /** Smallest width/height ratio (1/3 for 1:3). */
  minAspectRatio: z.number().positive().optional(),
  /** Largest width/height ratio (3 for 3:1). */
  maxAspectRatio: z.number().positive().optional(),
});
/** A flexible size rule. */
export type SizeRule = z.infer<typeof sizeRuleSchema>;

/** What input images (for edits and variations) a model takes; checked before anything is sent. */
export const inputImageLimitsSchema = z.strictObject({
  /** Accepted encodings, as media types. */
  mediaTypes: z
    .array(z.enum(['image/png', 'image/jpeg', 'image/webp']))
    .min(1)
    .default(['image/png', 'image/jpeg', 'image/webp']),
  /** Largest file in bytes. */
  maxBytes: z.number().int().positive(),
  /** Largest pixel count, judged from the header before decoding (decompression bombs). */
  maxPixels: z.number().int().positive(),
  /** Largest side in pixels. */
  maxSide: z.number().int().positive().optional(),
  /** Smallest side in pixels. */
  minSide: z.number().int().positive().optional(),
  /** Whether the image must be square (dall-e-2 edits and variations). */
  square: z.boolean().default(false),
});
/** Parsed input image limits. */
export type InputImageLimits = z.infer<typeof inputImageLimitsSchema>;

/**
 * How a model reads a mask. `alpha`: fully transparent pixels mark the area to edit (OpenAI).
 * `luminance`: white marks the area to edit, black what to keep (Stability, Imagen). The pipeline
 * converts the caller's mask to the model's convention (and reports it); plugins get it ready.
 */
export const maskConventionSchema = z.enum(['alpha', 'luminance']);
/** `alpha` or `luminance`. */
export type MaskConvention = z.infer<typeof maskConventionSchema>;

/** Edits: images in, images out. Absent means the model cannot edit. */
export const editCapabilitiesSchema = z.strictObject({
  /** Input images one request may send (gpt-image: 16; dall-e-2: 1). */
  maxImages: z.number().int().min(1).max(16).default(1),
  /** Limits for each input image. */
  input: inputImageLimitsSchema,
  /** Masks; absent means the model takes no mask (one is refused, never ignored). */
  mask: z
    .strictObject({
      convention: maskConventionSchema,
      /** Whether an edit without a mask is refused (Stability inpaint needs one or an alpha channel). */
      required: z.boolean().default(false),
    })
    .optional(),
  /** Accepted `input_fidelity` values; empty means unsupported. */
  inputFidelity: z.array(z.enum(['low', 'high'])).default([]),
});
/** Parsed edit capabilities. */
export type EditCapabilities = z.infer<typeof editCapabilitiesSchema>;

/** Variations (dall-e-2 semantics: one image in, similar images out, no prompt). */
export const variationCapabilitiesSchema = z.strictObject({
  input: inputImageLimitsSchema,
});
/** Parsed variation capabilities. */
export type VariationCapabilities = z.infer<typeof variationCapabilitiesSchema>;

/** Native streaming of partial images. Absent means the model answers a stream with one final event. */
export const streamCapabilitiesSchema = z.strictObject({
  /** Most `partial_images` the model sends (OpenAI: 3). */
  maxPartialImages: z.number().int().min(0).max(3),
  /** Operations the model streams. */
  operations: z
    .array(z.enum(['generate', 'edit']))
    .min(1)
    .default(['generate', 'edit']),
});
/** Parsed stream capabilities. */
export type StreamCapabilities = z.infer<typeof streamCapabilitiesSchema>;

/**
 * What a model really supports. Everything the capability check enforces is here as data, so a
 * provider's catalog, a user's override and the docs all say the same thing.
 */
export const modelCapabilitiesSchema = z.strictObject({
  /** Exact sizes accepted (`1024x1024`, `auto`). May be empty when `sizeRule` or `aspectRatios` define sizes. */
  sizes: z.array(sizeStringSchema).default([]),
  /** Flexible sizes accepted in addition to `sizes`. */
  sizeRule: sizeRuleSchema.optional(),
  /**
   * Ratio-based models: each supported ratio and the pixel size the model produces for it. A
   * requested `size` must be one of these pixel sizes (or have exactly one of these ratios).
   */
  aspectRatios: z.record(ratioStringSchema, sizeStringSchema).default({}),
  /** Images one upstream call can return; dispatch splits `n` above it. */
  maxImagesPerCall: z.number().int().min(1).max(100),
  /** Images one request may ask for. */
  maxImagesPerRequest: z.number().int().min(1).max(10).default(10),
  /** Accepted `quality` values; empty means the model has no quality setting. */
  qualities: z.array(z.string()).default([]),
  /** Accepted `style` values; empty means the model has no style setting. */
  styles: z.array(z.string()).default([]),
  /** Encodings the model can produce. */
  outputFormats: z.array(outputFormatSchema).min(1).default(['png']),
  /** Whether `output_compression` applies (jpeg/webp only). */
  outputCompression: z.boolean().default(false),
  /** Accepted `background` values; empty means unsupported. */
  backgrounds: z.array(z.enum(['transparent', 'opaque', 'auto'])).default([]),
  /** Accepted `moderation` values; empty means unsupported. */
  moderation: z.array(z.enum(['auto', 'low'])).default([]),
  /** Longest prompt in characters. */
  maxPromptLength: z.number().int().positive(),
  /** Whether `seed` is honoured. */
  seed: z.boolean().default(false),
  /** Largest seed accepted when seeds are supported. */
  maxSeed: z.number().int().positive().default(4_294_967_295),
  /** Whether `negative_prompt` is honoured. */
  negativePrompt: z.boolean().default(false),
  /** Longest negative prompt, when it is limited separately. */
  maxNegativePromptLength: z.number().int().positive().optional(),
  /** Edits (`images.edit`); absent means generation only. */
  edit: editCapabilitiesSchema.optional(),
  /** Variations (`images.createVariation`); absent means unsupported. */
  variation: variationCapabilitiesSchema.optional(),
  /** Native partial-image streaming; absent means a stream gets only the final image. */
  stream: streamCapabilitiesSchema.optional(),
});
/** Parsed capabilities. */
export type ModelCapabilities = z.infer<typeof modelCapabilitiesSchema>;

/** One row of a per-image price table; a missing size or quality matches any. */
export const imagePriceSchema = z.strictObject({
  /** The operation this row prices; a missing operation matches any (edits often cost as generations). */
  operation: z.enum(['generate', 'edit', 'variation']).optional(),
  size: sizeStringSchema.optional(),
  quality: z.string().optional(),
  /** Price of one image in US dollars. */
  usd: z.number().nonnegative(),
});

/**
 * How a model is priced. Per-image rows estimate the reservation; token prices (per million) turn
 * reported usage into the settled cost. A model with neither is "unknown", never free.
 */
export const modelPricingSchema = z.strictObject({
  perImage: z.array(imagePriceSchema).default([]),
  tokens: z
    .strictObject({
      inputTextPerMillion: z.number().nonnegative().optional(),
      inputImagePerMillion: z.number().nonnegative().optional(),
      outputImagePerMillion: z.number().nonnegative().optional(),
      outputTextPerMillion: z.number().nonnegative().optional(),
    })
    .optional(),
  /** Where the prices come from, for audits ("openai pricing page, 2026-11"). */
  source: z.string().optional(),
});
/** Parsed pricing. */
export type ModelPricing = z.infer<typeof modelPricingSchema>;

/** Where a model stands in its provider's lifecycle. */
export const modelLifecycleSchema = z.strictObject({
  status: z.enum(['active', 'preview', 'deprecated', 'retired']).default('active'),
  /** ISO date the deprecation was announced or took effect. */
  deprecatedOn: z.string().optional(),
  /** ISO date the provider shuts the model down; after it the model is treated as retired. */
  retiresOn: z.string().optional(),
  /** The model to use instead (an id the registry can resolve). */
  replacement: z.string().optional(),
  /** Free text shown with warnings. */
  note: z.string().optional(),
});
/** Parsed lifecycle. */
export type ModelLifecycle = z.infer<typeof modelLifecycleSchema>;

/** Values used when the request leaves a field out. */
export const modelDefaultsSchema = z.strictObject({
  size: sizeStringSchema.optional(),
  aspectRatio: ratioStringSchema.optional(),
  quality: z.string().optional(),
  style: z.string().optional(),
  outputFormat: outputFormatSchema.optional(),
});

/**
 * One model of one provider, entirely as data. Plugins ship a catalog of these; users add or
 * override models in configuration (for example a new snapshot id) without writing code.
 */
export const modelDescriptorSchema = z.strictObject({
  /** The model id as the provider names it (`dall-e-3`). Unique within its provider. */
  id: z.string().min(1),
  /** The provider id; filled in by the registry from the plugin when absent. */
  provider: z.string().min(1),
  /** Other names that resolve to this model. */
  aliases: z.array(z.string().min(1)).default([]),
  /** Human-readable name for model lists. */
  displayName: z.string().optional(),
  /** Short description for model lists. */
  description: z.string().optional(),
  capabilities: modelCapabilitiesSchema,
  defaults: modelDefaultsSchema.default({}),
  pricing: modelPricingSchema.optional(),
  lifecycle: modelLifecycleSchema.default({ status: 'active' }),
  /**
   * Provider-specific routing facts (an endpoint path, an API family, an upstream id); opaque to
   * core, validated by the plugin.
   */
  providerData: z.record(z.string(), z.unknown()).default({}),
});

/** A model descriptor after parsing (defaults filled in). */
export type ModelDescriptor = z.infer<typeof modelDescriptorSchema>;
/** A model descriptor as written in a catalog or in configuration. */
export type ModelDescriptorInput = z.input<typeof modelDescriptorSchema>;

/**
 * A model added or changed in configuration. `extends` copies another model of the same provider
 * (for example a dated snapshot of `gpt-image-2`) and the given fields replace the copied ones;
 * capabilities are merged field by field.
 */
export const modelOverrideSchema = z.strictObject({
  id: z.string().min(1),
  provider: z.string().min(1),
  extends: z.string().min(1).optional(),
  aliases: z.array(z.string().min(1)).optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  capabilities: modelCapabilitiesSchema.partial().optional(),
  defaults: modelDefaultsSchema.optional(),
  pricing: modelPricingSchema.optional(),
  lifecycle: modelLifecycleSchema.optional(),
  providerData: z.record(z.string(), z.unknown()).optional(),
});
/** A configuration override of a model. */
export type ModelOverride = z.input<typeof modelOverrideSchema>;

/** `provider/id`: the unambiguous name of a model. */
export function qualifiedModelId(model: Pick<ModelDescriptor, 'provider' | 'id'>): string {
  return `${model.provider}/${model.id}`;
}

import { z } from 'zod';
import { imageRequestSchema, responseFormatSchema } from './image-request.ts';
import { inputImageSourceSchema } from './input-image-source.ts';

/** Most input images one edit may carry (OpenAI's gpt-image limit; each model may take fewer). */
export const MAX_EDIT_IMAGES = 16;

/**
 * The edit request: OpenAI's `images.edit` fields on top of the generation request. Input images
 * are bytes or data URLs (see `inputImageSourceSchema`); the masks' meaning is `alpha` (OpenAI's:
 * transparent pixels are edited) unless `mask_convention` says `luminance` (white is edited).
 * Strict like the generation request: an unknown field is refused, never dropped.
 */
export const imageEditRequestSchema = imageRequestSchema.extend({
  /** The image to edit, or several reference images (up to 16; each model may take fewer). */
  image: z.union([inputImageSourceSchema, z.array(inputImageSourceSchema).min(1).max(MAX_EDIT_IMAGES)], {
    error: `'image' must be one input image (bytes, { data, media_type?, filename? } or a data: URL) or a list of 1 to ${MAX_EDIT_IMAGES}; an edit takes at most ${MAX_EDIT_IMAGES} images.`,
  }),
  /** Where to edit the first image; the same size as that image. */
  mask: inputImageSourceSchema.optional(),
  /** How the mask is drawn (pixelgate field): `alpha` (default, OpenAI's) or `luminance` (white = edit). */
  mask_convention: z.enum(['alpha', 'luminance']).optional(),
  /** How closely to follow the input images (`low` or `high`), for models that support it. */
  input_fidelity: z.enum(['low', 'high']).optional(),
});
/** An edit request after parsing. */
export type ImageEditRequest = z.infer<typeof imageEditRequestSchema>;
/** An edit request as a caller passes it to `gateway.edit`. */
export type ImageEditRequestInput = z.input<typeof imageEditRequestSchema>;

/**
 * The variation request (dall-e-2 semantics: one image in, similar images out, no prompt). Strict:
 * an unknown field (a prompt, a mask) is refused.
 */
export const imageVariationRequestSchema = z.strictObject({
  model: imageRequestSchema.shape.model,
  /** The image to vary (square for models that say so). */
  image: inputImageSourceSchema,
  n: imageRequestSchema.shape.n,
  size: imageRequestSchema.shape.size,
  response_format: responseFormatSchema.optional(),
  user: imageRequestSchema.shape.user,
  metadata: imageRequestSchema.shape.metadata,
  provider_options: imageRequestSchema.shape.provider_options,
});
/** A variation request after parsing. */
export type ImageVariationRequest = z.infer<typeof imageVariationRequestSchema>;
/** A variation request as a caller passes it to `gateway.createVariation`. */
export type ImageVariationRequestInput = z.input<typeof imageVariationRequestSchema>;

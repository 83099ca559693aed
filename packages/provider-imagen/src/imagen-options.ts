import { z } from 'zod';

/**
 * The `google` namespace of `provider_options`. Strict, so a misspelt option is an error instead of
 * being dropped. Values are Imagen's wire values (lower case); the Gemini family maps the ones it
 * can and refuses the rest with an error naming the option.
 */
export const googleImageOptionsSchema = z.strictObject({
  /**
   * Imagen's invisible SynthID watermark (default on). Imagen ignores `seed` while it is on, so a
   * seeded request must set this to false. The Gemini API cannot turn it off.
   */
  addWatermark: z.boolean().optional(),
  /**
   * Let Google rewrite the prompt with an LLM (Imagen on Vertex only); the rewritten prompt comes
   * back as the image's `revised_prompt`.
   */
  enhancePrompt: z.boolean().optional(),
  /** Whether people may be drawn. */
  personGeneration: z.enum(['dont_allow', 'allow_adult', 'allow_all']).optional(),
  /** Google's safety filter threshold. */
  safetySetting: z
    .enum(['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none'])
    .optional(),
  /** Language of the prompt (Imagen only). */
  language: z.enum(['auto', 'en', 'ja', 'ko', 'hi', 'zh', 'zh-CN', 'zh-TW', 'pt', 'es']).optional(),
  /**
   * Encoding, as Google spells it. Prefer the request's `output_format`/`output_compression`;
   * these exist for callers who already speak Google's API and must agree with them when both are set.
   */
  outputOptions: z
    .strictObject({
      mimeType: z.enum(['image/png', 'image/jpeg']).optional(),
      compressionQuality: z.number().int().min(0).max(100).optional(),
    })
    .optional(),
  /**
   * Refused with its own message: with `storageUri` Google writes the images to Cloud Storage and
   * answers with `gcsUri` instead of the bytes, which pixelgate needs to check, store and deliver.
   */
  storageUri: z
    .never({
      error:
        'storageUri is not supported: Google would write the images to Cloud Storage instead of returning them, and pixelgate stores images itself (configure its storage adapter instead)',
    })
    .optional(),
  /** Ask Imagen for per-image safety scores; they come back as image labels. */
  includeSafetyAttributes: z.boolean().optional(),
  /**
   * Imagen edits only: `parameters.editMode`. Default `EDIT_MODE_INPAINT_INSERTION` with a mask
   * or a `maskMode`, `EDIT_MODE_DEFAULT` (mask-free editing) otherwise. UNCONFIRMED values (SDK
   * samples), so an unknown mode is refused here rather than guessed.
   */
  editMode: z
    .enum([
      'EDIT_MODE_DEFAULT',
      'EDIT_MODE_INPAINT_INSERTION',
      'EDIT_MODE_INPAINT_REMOVAL',
      'EDIT_MODE_OUTPAINT',
      'EDIT_MODE_BGSWAP',
    ])
    .optional(),
  /**
   * Imagen edits only: an automatic mask instead of the caller's (`MASK_MODE_BACKGROUND`,
   * `MASK_MODE_FOREGROUND`). With a mask image the mode is always `MASK_MODE_USER_PROVIDED`.
   */
  maskMode: z.enum(['MASK_MODE_USER_PROVIDED', 'MASK_MODE_BACKGROUND', 'MASK_MODE_FOREGROUND']).optional(),
  /** Imagen edits only: how far the mask grows, as a fraction of the image width (0-1). */
  maskDilation: z.number().min(0).max(1).optional(),
  /** Imagen edits only: `editConfig.baseSteps`, sampling steps of the edit (more: slower, finer). */
  baseSteps: z.number().int().min(1).max(100).optional(),
});

/** Parsed `provider_options.google`. */
export type GoogleImageOptions = z.infer<typeof googleImageOptionsSchema>;

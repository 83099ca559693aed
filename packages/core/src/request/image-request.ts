import { z } from 'zod';

/** Output encodings a model may produce. */
export const outputFormatSchema = z.enum(['png', 'jpeg', 'webp']);
/** One of `png`, `jpeg`, `webp`. */
export type OutputFormat = z.infer<typeof outputFormatSchema>;

/** How images are handed back: inline base64, or a short-lived URL. */
export const responseFormatSchema = z.enum(['b64_json', 'url']);
/** `b64_json` or `url`. */
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

/**
 * The generation request: OpenAI's `images.generate` body plus the fields other providers need.
 * Unknown fields are refused (never silently dropped), so a typo such as `negativePrompt` is
 * reported instead of being ignored.
 */
export const imageRequestSchema = z.strictObject({
  /** Model id, provider-qualified id (`openai/dall-e-3`) or alias. Falls back to the gateway default. */
  model: z.string().min(1).max(200).optional(),
  /** What to draw. */
  prompt: z.string().min(1, 'prompt must not be empty'),
  /** Number of images, 1 to 10 (each model may allow fewer per call; dispatch splits). */
  n: z.number().int().min(1).max(10).optional(),
  /** `WIDTHxHEIGHT` or `auto`. */
  size: z
    .string()
    .regex(/^(auto|\d{1,5}x\d{1,5})$/, 'size must be WIDTHxHEIGHT (e.g. 1024x1024) or auto')
    .optional(),
  /** Quality tier; allowed values depend on the model (standard, hd, low, medium, high, auto). */
  quality: z.string().min(1).max(32).optional(),
  /** Style; allowed values depend on the model (vivid, natural, or a provider's style presets). */
  style: z.string().min(1).max(64).optional(),
  /** `b64_json` or `url` (a signed, short-lived link to the stored image). */
  response_format: responseFormatSchema.optional(),
  /** End-user id, passed to providers for abuse monitoring and kept in the audit record. */
  user: z.string().min(1).max(256).optional(),
  /** What the image should not contain, for models that support it. */
  negative_prompt: z.string().min(1).max(10_000).optional(),
  /** Seed for reproducible output, for models that support it. */
  seed: z.number().int().min(0).max(4_294_967_295).optional(),
  /** `W:H`, as an alternative to `size` for ratio-based models. */
  aspect_ratio: z
    .string()
    .regex(/^\d{1,3}:\d{1,3}$/, 'aspect_ratio must look like 16:9')
    .optional(),
  /** Encoding of the produced image. */
  output_format: outputFormatSchema.optional(),
  /** Compression 0-100 for jpeg/webp output. */
  output_compression: z.number().int().min(0).max(100).optional(),
  /** `transparent`, `opaque` or `auto`, for models that support it. */
  background: z.enum(['transparent', 'opaque', 'auto']).optional(),
  /** Provider moderation strictness (`auto` or `low`), for models that support it. */
  moderation: z.enum(['auto', 'low']).optional(),
  /**
   * Stream the answer: partial images as they are drawn (models with `capabilities.stream`), then
   * the final result. A model that cannot stream is refused under `strict` or answers with the
   * final result only, with a warning, under `coerce`.
   */
  stream: z.boolean().optional(),
  /** Partial images wanted while streaming, 0-3 (at most the model's `maxPartialImages`). */
  partial_images: z.number().int().min(0).max(3).optional(),
  /** Caller metadata, passed through to the audit record and events (and to providers that take it). */
  metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  /** Options for one provider, keyed by provider id (`{ stability: { cfg_scale: 7 } }`); each plugin checks its own. */
  provider_options: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

/** A generation request as the caller sends it. */
export type ImageRequest = z.infer<typeof imageRequestSchema>;
/** The request before parsing (what a caller may pass to `gateway.generate`). */
export type ImageRequestInput = z.input<typeof imageRequestSchema>;

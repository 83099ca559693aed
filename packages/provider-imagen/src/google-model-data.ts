import type { ModelDescriptor } from '@pixelgate/core/spec';
import { z } from 'zod';

/**
 * The two Google APIs this package speaks. They share the JSON shapes but differ in host, path,
 * authentication and in which parameters they accept, so a provider instance serves exactly one.
 */
export const googleApiSchema = z.enum(['vertex', 'gemini']);
/** `vertex` (Vertex AI, OAuth2 bearer tokens) or `gemini` (the Gemini API, an API key). */
export type GoogleApi = z.infer<typeof googleApiSchema>;

/**
 * The wire facts of one model, kept in `providerData` so that a catalog entry added by
 * configuration routes exactly like a built-in one. Lenient on unknown keys (core treats
 * `providerData` as opaque and users may keep notes there), strict on the keys it reads.
 */
export const googleModelDataSchema = z.looseObject({
  /** `imagen` models are called through `:predict`, `gemini` models through `:generateContent`. */
  family: z.enum(['imagen', 'gemini']),
  /** The id sent upstream, when it differs from the catalog id. */
  upstreamModel: z.string().min(1).optional(),
  /**
   * Larger output tiers: tier name (`2K`, `4K`) to ratio to pixel size. The model's
   * `aspectRatios` are its base tier; a requested size found here selects this tier
   * (Imagen `sampleImageSize`, Gemini `imageConfig.imageSize`).
   */
  sizeTiers: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  /**
   * The tier name of the base `aspectRatios` sizes, sent explicitly when set (Gemini 3.x `1K`).
   * Left unset for models that take no size field at all (Imagen 3, Gemini 2.5 Flash Image).
   */
  baseTier: z.string().optional(),
  /** A Vertex location that overrides the configured one (models offered only in `global`). */
  vertexLocation: z.string().optional(),
  /**
   * Imagen editing models (`imagen-3.0-capability-001`): `:predict` with `referenceImages`; they
   * only edit, so `generate` refuses them by name.
   */
  editOnly: z.boolean().default(false),
  /** `generationConfig.responseModalities` for Gemini models (default `["TEXT","IMAGE"]`). */
  responseModalities: z.array(z.enum(['TEXT', 'IMAGE'])).optional(),
});
/** Parsed wire facts of one model. */
export type GoogleModelData = z.infer<typeof googleModelDataSchema>;

/** Reads and checks a model's `providerData`; a broken user entry fails with a clear message. */
export function readModelData(
  model: Pick<ModelDescriptor, 'id'> & { providerData?: Record<string, unknown> },
): GoogleModelData {
  const parsed = googleModelDataSchema.safeParse(model.providerData ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `model ${model.id}: providerData.${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'} ` +
        `(expected family 'imagen' or 'gemini' and optional sizeTiers/baseTier/vertexLocation).`,
    );
  }
  return parsed.data;
}

/**
 * Lenient schemas of what Stability sends back: required fields are required, anything extra is
 * tolerated, so a new field upstream does not break generation.
 */
import { z } from 'zod';

/** `finish_reason` / `finishReason` values; anything else is read as a malformed answer. */
export const STABILITY_FINISH_REASONS = ['SUCCESS', 'CONTENT_FILTERED', 'ERROR'] as const;

/** v2beta with `accept: application/json`: `{ image, finish_reason, seed }`. */
export const v2betaJsonResponseSchema = z.looseObject({
  image: z.string().min(1),
  finish_reason: z.string(),
  seed: z.number().int().nonnegative().nullish(),
});

const v1ArtifactSchema = z.looseObject({
  base64: z.string().nullish(),
  seed: z.number().int().nonnegative().nullish(),
  finishReason: z.string(),
});

/**
 * v1 JSON: the documented samples read `{ artifacts: [...] }`, the spec's own schema a bare array.
 * Both are accepted because the docs disagree with themselves.
 */
export const v1JsonResponseSchema = z.union([
  z.looseObject({ artifacts: z.array(v1ArtifactSchema) }).transform((value) => value.artifacts),
  z.array(v1ArtifactSchema),
]);
/** One v1 artifact. */
export type V1Artifact = z.infer<typeof v1ArtifactSchema>;

/** Error bodies: v2beta `{ id, name, errors[] }`, v1 `{ id, name, message }`; all fields optional here. */
export const stabilityErrorBodySchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  errors: z.array(z.string()).nullish(),
  message: z.string().nullish(),
});
/** A parsed error body. */
export type StabilityErrorBody = z.infer<typeof stabilityErrorBodySchema>;

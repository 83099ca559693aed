/**
 * Lenient schemas of the InvokeModel bodies Bedrock's image models answer with: required fields
 * are required, anything extra is tolerated.
 */
import { z } from 'zod';

/** Nova Canvas and Titan: `{ images: [base64...], error? }`. */
export const amazonImageResponseSchema = z.looseObject({
  images: z.array(z.string()),
  /** UNCONFIRMED: set when some images were withheld by the content filter. */
  error: z.string().nullish(),
});

/** Stability on Bedrock: `{ seeds, finish_reasons, images }`; a non-null finish reason is a filter result. */
export const stabilityResponseSchema = z.looseObject({
  images: z.array(z.string()),
  seeds: z.array(z.number().int().nonnegative()).nullish(),
  finish_reasons: z.array(z.string().nullable()).nullish(),
});

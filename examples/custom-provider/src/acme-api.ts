import { z } from 'zod';

/**
 * Acme's answers, read leniently: unknown fields are kept and optional ones may be null, so a new
 * field upstream never breaks generation; what the plugin relies on is required.
 */
export const acmeResponseSchema = z.looseObject({
  id: z.string().nullish(),
  images: z.array(
    z.looseObject({ b64: z.string().min(1), content_type: z.string(), seed: z.number().int().nullish() }),
  ),
  blocked: z.number().int().min(0).nullish(),
});

/** A parsed success body. */
export type AcmeResponse = z.infer<typeof acmeResponseSchema>;

/** Acme's error body: `{ error: { code, message } }`. */
export const acmeErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});

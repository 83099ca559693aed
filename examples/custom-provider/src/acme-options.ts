import { z } from 'zod';

/**
 * `provider_options.acme`: Acme's own knobs. Strict, so the gateway refuses a misspelt option
 * with a VALIDATION_ERROR naming it, before any call, instead of silently dropping it.
 */
export const acmeProviderOptionsSchema = z.strictObject({
  /** Acme's "stylize" strength, 0-100. */
  stylize: z.number().int().min(0).max(100).optional(),
});

/** Parsed `provider_options.acme`. */
export type AcmeProviderOptions = z.infer<typeof acmeProviderOptionsSchema>;

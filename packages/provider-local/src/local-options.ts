import { z } from 'zod';

/** `provider_options.local`: strict, so a misspelt option is refused rather than ignored. */
export const localOptionsSchema = z.strictObject({
  /** Override the noise level for this request. */
  noise: z.number().min(0).max(1).optional(),
});
/** Parsed local provider options. */
export type LocalOptions = z.infer<typeof localOptionsSchema>;

/**
 * The `provider_options.fal` namespace: fal-only settings, checked strictly (an unknown key or a
 * value out of range is a VALIDATION_ERROR naming the field) before any call.
 */
import { validationError } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import type { FalProviderData } from './fal-catalog.ts';

/** Every fal option; which of them a model takes is listed in its providerData (`options`). */
export const falOptionsSchema = z.strictObject({
  /** FLUX dev and schnell: diffusion steps (UNCONFIRMED range 1-50; schnell documents up to 12). */
  num_inference_steps: z.number().int().min(1).max(50).optional(),
  /** FLUX dev: guidance scale (UNCONFIRMED range 1-20). */
  guidance_scale: z.number().min(1).max(20).optional(),
  /** Turn fal's own safety checker off (on by default); `has_nsfw_concepts` is then not reported. */
  enable_safety_checker: z.boolean().optional(),
  /** FLUX pro ultra: moderation tolerance 1 (strictest) to 6, sent as a string as fal expects. */
  safety_tolerance: z.number().int().min(1).max(6).optional(),
  /** FLUX pro ultra: less processed, more natural-looking images. */
  raw: z.boolean().optional(),
  /** Ideogram v3: `TURBO`, `BALANCED` (default) or `QUALITY` (prices differ; UNCONFIRMED). */
  rendering_speed: z.enum(['TURBO', 'BALANCED', 'QUALITY']).optional(),
});
/** fal provider options as the caller writes them. */
export type FalOptions = z.infer<typeof falOptionsSchema>;

/** Parses the namespace and refuses an option the model does not take, naming what it takes. */
export function parseFalOptions(
  providerId: string,
  raw: Record<string, unknown> | undefined,
  data: FalProviderData,
  modelLabel: string,
): FalOptions {
  const parsed = falOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : ((issue as { keys?: string[] }).keys?.[0] ?? '');
    const param = `provider_options.${providerId}${field ? `.${field}` : ''}`;
    throw validationError(param, `${param}: ${issue.message}`);
  }
  for (const key of Object.keys(parsed.data) as Array<keyof FalOptions>) {
    if (parsed.data[key] === undefined || data.options.includes(key)) continue;
    throw validationError(
      `provider_options.${providerId}.${key}`,
      `provider_options.${providerId}.${key} is not accepted by '${modelLabel}'. Accepted there: ${data.options.join(', ') || 'none'}.`,
    );
  }
  return parsed.data;
}

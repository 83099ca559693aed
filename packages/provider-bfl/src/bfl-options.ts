/**
 * The `provider_options.bfl` namespace: BFL-only settings, checked strictly (an unknown key or a
 * value out of range is a VALIDATION_ERROR naming the field) before any call.
 */
import { validationError } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import type { BflProviderData } from './bfl-catalog.ts';

/** Every BFL option; which of them a model takes is decided per endpoint (`checkBflOptions`). */
export const bflOptionsSchema = z.strictObject({
  /** Moderation tolerance, 0 (strictest) to 6 (least strict); BFL's default is 2. Every endpoint. */
  safety_tolerance: z.number().int().min(0).max(6).optional(),
  /** Let BFL rewrite the prompt for more detail (endpoints that list it). */
  prompt_upsampling: z.boolean().optional(),
  /** FLUX 1.1 pro ultra only: less processed, more natural-looking images. */
  raw: z.boolean().optional(),
  /** FLUX dev and FLUX.2 flex: diffusion steps (UNCONFIRMED range 1-50). */
  steps: z.number().int().min(1).max(50).optional(),
  /** FLUX dev and FLUX.2 flex: guidance scale (UNCONFIRMED range 1.5-10). */
  guidance: z.number().min(1.5).max(10).optional(),
});
/** BFL provider options as the caller writes them. */
export type BflOptions = z.infer<typeof bflOptionsSchema>;

/** Options every endpoint takes. */
const COMMON: ReadonlyArray<keyof BflOptions> = ['safety_tolerance'];

/**
 * Parses the namespace and refuses an option the model's endpoint does not take, naming the field
 * and what that endpoint accepts.
 */
export function parseBflOptions(
  providerId: string,
  raw: Record<string, unknown> | undefined,
  data: BflProviderData,
  modelLabel: string,
): BflOptions {
  const parsed = bflOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : ((issue as { keys?: string[] }).keys?.[0] ?? '');
    const param = `provider_options.${providerId}${field ? `.${field}` : ''}`;
    throw validationError(param, `${param}: ${issue.message}`);
  }
  const allowed = [...COMMON, ...data.options];
  for (const key of Object.keys(parsed.data) as Array<keyof BflOptions>) {
    if (parsed.data[key] === undefined || allowed.includes(key)) continue;
    throw validationError(
      `provider_options.${providerId}.${key}`,
      `provider_options.${providerId}.${key} is not accepted by '${modelLabel}'. Accepted there: ${allowed.join(', ')}.`,
    );
  }
  return parsed.data;
}

/**
 * The `provider_options.bedrock` namespace, checked strictly (an unknown key or a value out of
 * range is a VALIDATION_ERROR naming the field) before any call.
 */
import { validationError } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import type { BedrockProviderData } from './bedrock-catalog.ts';

/** Every Bedrock option; which family takes which is checked per call. */
export const bedrockOptionsSchema = z.strictObject({
  /** Nova Canvas and Titan: how strictly to follow the prompt, 1.1-10 (defaults 6.5 and 8). */
  cfg_scale: z.number().min(1.1).max(10).optional(),
});
/** Bedrock provider options as the caller writes them. */
export type BedrockOptions = z.infer<typeof bedrockOptionsSchema>;

const ACCEPTED: Record<BedrockProviderData['family'], ReadonlyArray<keyof BedrockOptions>> = {
  'amazon-image': ['cfg_scale'],
  stability: [],
};

/** Parses the namespace and refuses an option the model's family does not take. */
export function parseBedrockOptions(
  providerId: string,
  raw: Record<string, unknown> | undefined,
  data: BedrockProviderData,
  modelLabel: string,
): BedrockOptions {
  const parsed = bedrockOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : ((issue as { keys?: string[] }).keys?.[0] ?? '');
    const param = `provider_options.${providerId}${field ? `.${field}` : ''}`;
    throw validationError(param, `${param}: ${issue.message}`);
  }
  const accepted = ACCEPTED[data.family];
  for (const key of Object.keys(parsed.data) as Array<keyof BedrockOptions>) {
    if (parsed.data[key] === undefined || accepted.includes(key)) continue;
    throw validationError(
      `provider_options.${providerId}.${key}`,
      `provider_options.${providerId}.${key} is not accepted by '${modelLabel}'. Accepted there: ${accepted.join(', ') || 'none'}.`,
    );
  }
  return parsed.data;
}

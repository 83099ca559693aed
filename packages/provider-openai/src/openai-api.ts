import type { ImageUsage } from '@pixelgate/core/provider-utils';
import { z } from 'zod';

const count = z.number().int().nonnegative().nullish();

/**
 * `ImagesResponse`, read leniently (compatible servers omit `created` or add fields) but typed
 * strictly where we rely on it: every data entry must carry `b64_json` or `url`.
 */
export const imagesResponseSchema = z.object({
  created: z.number().nullish(),
  data: z.array(
    z
      .object({
        b64_json: z.string().min(1).nullish(),
        url: z.string().min(1).nullish(),
        revised_prompt: z.string().nullish(),
      })
      .refine(
        (entry) => Boolean(entry.b64_json || entry.url),
        'an image entry carries neither b64_json nor url',
      ),
  ),
  output_format: z.string().nullish(),
  size: z.string().nullish(),
  quality: z.string().nullish(),
  background: z.string().nullish(),
  usage: z
    .object({
      input_tokens: count,
      output_tokens: count,
      total_tokens: count,
      input_tokens_details: z.object({ text_tokens: count, image_tokens: count }).nullish(),
      output_tokens_details: z.object({ text_tokens: count, image_tokens: count }).nullish(),
    })
    .nullish(),
});
/** A parsed images response. */
export type ImagesResponse = z.infer<typeof imagesResponseSchema>;

/**
 * Maps `ImageGenUsage` to core's usage. Without `output_tokens_details` (the older `ImagesUsage`
 * shape) all output tokens are image tokens; without `input_tokens_details` all input is text.
 */
export function mapUsage(usage: ImagesResponse['usage']): ImageUsage | undefined {
  if (!usage) return undefined;
  const result: ImageUsage = {};
  const inputText =
    usage.input_tokens_details?.text_tokens ?? (usage.input_tokens_details ? undefined : usage.input_tokens);
  const inputImage = usage.input_tokens_details?.image_tokens;
  const outputImage =
    usage.output_tokens_details?.image_tokens ??
    (usage.output_tokens_details ? undefined : usage.output_tokens);
  const outputText = usage.output_tokens_details?.text_tokens;
  if (inputText != null) result.inputTextTokens = inputText;
  if (inputImage != null) result.inputImageTokens = inputImage;
  if (outputImage != null) result.outputImageTokens = outputImage;
  if (outputText != null) result.outputTextTokens = outputText;
  if (usage.total_tokens != null) result.totalTokens = usage.total_tokens;
  return Object.keys(result).length > 0 ? result : undefined;
}

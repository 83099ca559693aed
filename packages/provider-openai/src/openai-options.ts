import { z } from 'zod';

/**
 * `provider_options.openai` (and the Azure provider's namespace): strict, so a misspelt option is
 * a VALIDATION_ERROR instead of a silent no-op.
 */
export const openAIProviderOptionsSchema = z.strictObject({
  /**
   * dall-e-3 rewrites every prompt. When true, the prompt is sent behind the prefix OpenAI's guide
   * documents for asking the model to use it as written. Off by default; refused for models that
   * do not rewrite prompts.
   */
  disable_prompt_rewriting: z.boolean().optional(),
});
/** Parsed OpenAI provider options. */
export type OpenAIProviderOptions = z.infer<typeof openAIProviderOptionsSchema>;

/**
 * @pixelgate/provider-openai: OpenAI's Images API, Azure OpenAI and OpenAI-compatible servers as a
 * pixelgate provider, plus a moderation guardrail on OpenAI's moderation endpoint.
 * @packageDocumentation
 */

export {
  applyServedBy,
  DALL_E_3_NO_REWRITE_PREFIX,
  GPT_IMAGE_2_SIZE_RULE,
  GPT_IMAGE_STANDARD_SIZES,
  OPENAI_MODELS,
  type OpenAIModelData,
  type OpenAIServedBy,
  openAIModelDataSchema,
} from './openai-catalog.ts';
export {
  mapOpenAIError,
  type OpenAIErrorContext,
  retryAfterFromHeaders,
  sanitizeUpstreamText,
} from './openai-error.ts';
export type { OpenAIHttpSettings } from './openai-image-provider.ts';
export {
  createOpenAIModerationGuardrail,
  type ModerationAction,
  moderationLabel,
  type OpenAIModerationGuardrailSettings,
} from './openai-moderation-guardrail.ts';
export { type OpenAIProviderOptions, openAIProviderOptionsSchema } from './openai-options.ts';
export {
  type AzureDeployment,
  type AzureOpenAIProviderSettings,
  createAzureOpenAIProvider,
  createOpenAIProvider,
  type OpenAIProviderSettings,
} from './openai-provider.ts';

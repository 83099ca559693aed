import { type ProviderCall, validationError } from '@pixelgate/core/provider-utils';
import { DALL_E_3_NO_REWRITE_PREFIX, type OpenAIModelData } from './openai-catalog.ts';
import type { OpenAIProviderOptions } from './openai-options.ts';

/** What the request builder needs to know besides the call. */
export interface BuildRequestOptions {
  /** The provider options namespace name, for `param` in errors (`openai`). */
  namespace: string;
  /** Whether the body names the model (OpenAI) or the URL does (Azure deployments). */
  sendModel: boolean;
}

/**
 * Maps a validated call to the JSON body of `POST /images/generations`, per model family: GPT image
 * models never get `response_format` (they reject it and always answer in base64); DALL·E models
 * always get `response_format: b64_json`, so no URL download is needed; `style` goes only to models
 * declaring styles; the GPT-only fields only to GPT image models. Combinations the API refuses are
 * refused here, naming the field, rather than being dropped.
 */
export function buildImageRequestBody(
  call: ProviderCall,
  data: OpenAIModelData & { family: 'gpt-image' | 'dall-e' },
  options: OpenAIProviderOptions,
  build: BuildRequestOptions,
): Record<string, unknown> {
  const capabilities = call.model.capabilities;
  let prompt = call.prompt;
  if (options.disable_prompt_rewriting) {
    const param = `provider_options.${build.namespace}.disable_prompt_rewriting`;
    if (!data.rewritesPrompt) {
      throw validationError(
        param,
        `Model ${call.model.id} does not rewrite prompts, so disable_prompt_rewriting does not apply; it applies to dall-e-3.`,
      );
    }
    prompt = `${DALL_E_3_NO_REWRITE_PREFIX} ${call.prompt}`;
    if (prompt.length > capabilities.maxPromptLength) {
      throw validationError(
        param,
        `With disable_prompt_rewriting the prompt gains a ${DALL_E_3_NO_REWRITE_PREFIX.length + 1}-character prefix; ` +
          `the prompt must then be at most ${capabilities.maxPromptLength - DALL_E_3_NO_REWRITE_PREFIX.length - 1} characters.`,
      );
    }
  }

  const body: Record<string, unknown> = {};
  if (build.sendModel) body.model = data.upstreamModel ?? call.model.id;
  body.prompt = prompt;
  body.n = call.n;
  if (call.size !== undefined) body.size = call.size;
  if (call.quality !== undefined) body.quality = call.quality;
  if (call.style !== undefined && capabilities.styles.length > 0) body.style = call.style;

  if (data.family === 'dall-e') {
    body.response_format = 'b64_json';
  } else {
    const format = call.outputFormat;
    if (format !== undefined) body.output_format = format;
    if (call.outputCompression !== undefined) {
      if (format !== 'jpeg' && format !== 'webp') {
        throw validationError(
          'output_compression',
          `output_compression applies only to jpeg or webp output; output_format is ${format ?? 'png'}.`,
        );
      }
      body.output_compression = call.outputCompression;
    }
    if (call.background !== undefined) {
      if (call.background === 'transparent' && format === 'jpeg') {
        throw validationError(
          'background',
          'A transparent background needs output_format png or webp, not jpeg.',
        );
      }
      body.background = call.background;
    }
    if (call.moderation !== undefined) body.moderation = call.moderation;
  }
  if (call.user !== undefined) body.user = call.user;
  return body;
}

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

/** The request fields of one call, before they become JSON (generations) or form fields (edits). */
export type RequestFields = Record<string, string | number | boolean>;

/** The prompt to send: as given, or behind dall-e-3's "use it as is" prefix when asked for. */
function promptToSend(
  call: ProviderCall,
  data: OpenAIModelData,
  options: OpenAIProviderOptions,
  namespace: string,
) {
  if (!options.disable_prompt_rewriting) return call.prompt;
  const param = `provider_options.${namespace}.disable_prompt_rewriting`;
  if (!data.rewritesPrompt) {
    throw validationError(
      param,
      `Model ${call.model.id} does not rewrite prompts, so disable_prompt_rewriting does not apply; it applies to dall-e-3.`,
    );
  }
  const prompt = `${DALL_E_3_NO_REWRITE_PREFIX} ${call.prompt}`;
  const limit = call.model.capabilities.maxPromptLength;
  if (prompt.length > limit) {
    throw validationError(
      param,
      `With disable_prompt_rewriting the prompt gains a ${DALL_E_3_NO_REWRITE_PREFIX.length + 1}-character prefix; ` +
        `the prompt must then be at most ${limit - DALL_E_3_NO_REWRITE_PREFIX.length - 1} characters.`,
    );
  }
  return prompt;
}

/**
 * The fields only GPT image models take. `moderation` is documented for generations only, so an
 * edit asking for it is refused rather than sent to be ignored or rejected upstream.
 */
function addGptImageFields(call: ProviderCall, body: RequestFields): void {
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
  if (call.moderation !== undefined) {
    if (call.operation !== 'generate') {
      throw validationError(
        'moderation',
        "OpenAI's images/edits endpoint takes no moderation setting; leave moderation out for edits.",
      );
    }
    body.moderation = call.moderation;
  }
  if (call.operation === 'edit' && call.inputFidelity !== undefined) body.input_fidelity = call.inputFidelity;
  if (call.partialImages !== undefined && call.partialImages > 0) {
    body.stream = true;
    body.partial_images = call.partialImages;
  }
}

/**
 * Fields the DALL·E models cannot take: refused by name rather than dropped (the pipeline checks
 * capabilities first; this guards a model override that declares more than the API does).
 */
function refuseGptOnlyCallFields(call: ProviderCall): void {
  if (call.inputFidelity !== undefined) {
    throw validationError(
      'input_fidelity',
      `Model ${call.model.id} takes no input_fidelity; GPT image models do.`,
    );
  }
  if (call.partialImages !== undefined && call.partialImages > 0) {
    throw validationError(
      'partial_images',
      `Model ${call.model.id} does not stream partial images; GPT image models do.`,
    );
  }
}

/**
 * Maps a validated call to the fields of `POST /images/generations` or `/images/edits`, per model
 * family: GPT image models never get `response_format` (they reject it and always answer in
 * base64); DALL·E models always get `response_format: b64_json`, so no URL download is needed;
 * `style` goes only to generations of models declaring styles; the GPT-only fields only to GPT
 * image models. Combinations the API refuses are refused here, naming the field, not dropped.
 */
export function buildImageRequestBody(
  call: ProviderCall,
  data: OpenAIModelData & { family: 'gpt-image' | 'dall-e' },
  options: OpenAIProviderOptions,
  build: BuildRequestOptions,
): RequestFields {
  const body: RequestFields = {};
  if (build.sendModel) body.model = data.upstreamModel ?? call.model.id;
  body.prompt = promptToSend(call, data, options, build.namespace);
  body.n = call.n;
  if (call.size !== undefined) body.size = call.size;
  if (call.quality !== undefined) body.quality = call.quality;
  if (
    call.operation === 'generate' &&
    call.style !== undefined &&
    call.model.capabilities.styles.length > 0
  ) {
    body.style = call.style;
  }
  if (data.family === 'dall-e') {
    refuseGptOnlyCallFields(call);
    body.response_format = 'b64_json';
  } else {
    addGptImageFields(call, body);
  }
  if (call.user !== undefined) body.user = call.user;
  return body;
}

/**
 * The fields of `POST /images/variations` (dall-e-2 semantics): no prompt, no quality; the image
 * is added by the form builder.
 */
export function buildVariationFields(
  call: ProviderCall,
  data: OpenAIModelData & { family: 'gpt-image' | 'dall-e' },
  options: OpenAIProviderOptions,
  build: BuildRequestOptions,
): RequestFields {
  if (options.disable_prompt_rewriting) {
    throw validationError(
      `provider_options.${build.namespace}.disable_prompt_rewriting`,
      'A variation has no prompt, so disable_prompt_rewriting does not apply.',
    );
  }
  const body: RequestFields = {};
  if (build.sendModel) body.model = data.upstreamModel ?? call.model.id;
  body.n = call.n;
  if (call.size !== undefined && call.size !== 'auto') body.size = call.size;
  body.response_format = 'b64_json';
  if (call.user !== undefined) body.user = call.user;
  return body;
}

import { randomBytes } from 'node:crypto';
import { parseSize } from '@pixelgate/core/provider-utils';
import type { ModelDescriptor } from '@pixelgate/core/spec';
import { DALL_E_3_NO_REWRITE_PREFIX, openAIModelData } from '../openai-catalog.ts';
import {
  type FakeOpenAIContext,
  GENERATION_FIELDS,
  GPT_ONLY_FIELDS,
  IMAGE_TOKENS,
  type ImageFormat,
  openAIError,
  render,
} from './fake-openai-shared.ts';
import type { FakeOpenAIScenario } from './fake-openai-types.ts';

/** The size to draw: a listed size, or one the model's size rule allows; anything else is OpenAI's 400. */
export function checkSize(size: unknown, model: ModelDescriptor): { width: number; height: number } {
  const fail = () =>
    openAIError(
      400,
      `The size is not supported by this model. Supported sizes: ${model.capabilities.sizes.join(', ')}${model.capabilities.sizeRule ? ', or WIDTHxHEIGHT with both sides multiples of 16, ratio 1:3 to 3:1, at most 3840x2160' : ''}.`,
      'size',
      'invalid_size',
    );
  if (size === undefined || size === 'auto') {
    if (size === 'auto' && !model.capabilities.sizes.includes('auto')) throw fail();
    return { width: 1024, height: 1024 };
  }
  if (typeof size !== 'string') throw fail();
  if (model.capabilities.sizes.includes(size)) return parseSize(size)!;
  const parsed = parseSize(size);
  const rule = model.capabilities.sizeRule;
  if (!parsed || !rule) throw fail();
  const { width, height } = parsed;
  const ratio = width / height;
  const ok =
    width % rule.multipleOf === 0 &&
    height % rule.multipleOf === 0 &&
    Math.min(width, height) >= rule.minSide &&
    Math.max(width, height) <= rule.maxSide &&
    (rule.maxPixels === undefined || width * height <= rule.maxPixels) &&
    (rule.minPixels === undefined || width * height >= rule.minPixels) &&
    (rule.minAspectRatio === undefined || ratio >= rule.minAspectRatio - 1e-9) &&
    (rule.maxAspectRatio === undefined || ratio <= rule.maxAspectRatio + 1e-9);
  if (!ok) throw fail();
  return parsed;
}

/** The fields every model takes: known names, prompt, n, size, quality, style, user. */
export function checkCommonFields(
  body: Record<string, unknown>,
  model: ModelDescriptor,
  allowed: ReadonlySet<string> = GENERATION_FIELDS,
) {
  const modelId = model.id;
  const caps = model.capabilities;
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) throw openAIError(400, `Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  }
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) {
    throw openAIError(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  }
  const prompt = body.prompt;
  if (prompt.length > caps.maxPromptLength) {
    throw openAIError(
      400,
      `Invalid 'prompt': string too long. Expected a string with maximum length ${caps.maxPromptLength}, but got a string with length ${prompt.length} instead.`,
      'prompt',
      'string_above_max_length',
    );
  }
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10) {
    throw openAIError(400, `Invalid 'n': expected an integer between 1 and 10.`, 'n', 'invalid_value');
  }
  if (n > caps.maxImagesPerCall) {
    throw openAIError(
      400,
      `You must provide n=${caps.maxImagesPerCall} for this model.`,
      'n',
      'invalid_value',
    );
  }
  const { width, height } = checkSize(body.size, model);
  if (body.quality !== undefined && !caps.qualities.includes(String(body.quality))) {
    throw openAIError(
      400,
      `Invalid 'quality': '${String(body.quality)}'. Supported values for this model: ${caps.qualities.map((q) => `'${q}'`).join(', ')}.`,
      'quality',
      'invalid_value',
    );
  }
  if (body.style !== undefined) {
    if (caps.styles.length === 0) {
      throw openAIError(
        400,
        `The 'style' parameter is not supported for model ${modelId}.`,
        'style',
        'unsupported_parameter',
      );
    }
    if (!caps.styles.includes(String(body.style))) {
      throw openAIError(
        400,
        `Invalid 'style': '${String(body.style)}'. Supported values: ${caps.styles.join(', ')}.`,
        'style',
        'invalid_value',
      );
    }
  }
  if (body.user !== undefined && typeof body.user !== 'string') {
    throw openAIError(400, "Invalid 'user': expected a string.", 'user', 'invalid_type');
  }
  return { prompt, n, width, height };
}

/** `stream` and `partial_images` (0-3, only with `stream: true`): the partial images to send, if streaming. */
function checkStreamFields(body: Record<string, unknown>): number | undefined {
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw openAIError(400, "Invalid 'stream': expected a boolean.", 'stream', 'invalid_type');
  }
  const partial = body.partial_images;
  if (partial !== undefined && partial !== null) {
    if (typeof partial !== 'number' || !Number.isInteger(partial) || partial < 0 || partial > 3) {
      throw openAIError(
        400,
        "Invalid 'partial_images': expected an integer between 0 and 3.",
        'partial_images',
        'invalid_value',
      );
    }
    if (body.stream !== true) {
      throw openAIError(
        400,
        "'partial_images' is only supported with stream=true.",
        'partial_images',
        'invalid_value',
      );
    }
  }
  return body.stream === true ? ((partial as number | null | undefined) ?? 0) : undefined;
}

/** GPT image models: no response_format, and the output fields they alone take. */
export function checkGptImageFields(
  context: FakeOpenAIContext,
  body: Record<string, unknown>,
  caps: ModelDescriptor['capabilities'],
): { format: ImageFormat; compression: number | undefined; partialImages: number | undefined } {
  const options = context.options;
  let format = 'png' as ImageFormat;
  let compression: number | undefined;
  if (body.response_format !== undefined && (options.gptImageResponseFormat ?? 'reject') === 'reject') {
    throw openAIError(400, "Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter');
  }
  if (body.output_format !== undefined) {
    if (!caps.outputFormats.includes(body.output_format as 'png')) {
      throw openAIError(
        400,
        `Invalid 'output_format': '${String(body.output_format)}'.`,
        'output_format',
        'invalid_value',
      );
    }
    format = body.output_format as ImageFormat;
  }
  if (body.output_compression !== undefined) {
    const value = body.output_compression;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      throw openAIError(
        400,
        "Invalid 'output_compression': expected an integer between 0 and 100.",
        'output_compression',
        'invalid_value',
      );
    }
    if (format === 'png') {
      throw openAIError(
        400,
        "'output_compression' is only supported with output_format jpeg or webp.",
        'output_compression',
        'invalid_value',
      );
    }
    compression = value;
  }
  if (body.background !== undefined) {
    if (!caps.backgrounds.includes(body.background as 'auto')) {
      throw openAIError(
        400,
        `Invalid 'background': '${String(body.background)}'.`,
        'background',
        'invalid_value',
      );
    }
    if (body.background === 'transparent' && format === 'jpeg') {
      throw openAIError(
        400,
        'Transparent background requires output_format png or webp.',
        'background',
        'invalid_value',
      );
    }
  }
  if (body.moderation !== undefined && !caps.moderation.includes(body.moderation as 'auto')) {
    throw openAIError(
      400,
      `Invalid 'moderation': '${String(body.moderation)}'.`,
      'moderation',
      'invalid_value',
    );
  }
  return { format, compression, partialImages: checkStreamFields(body) };
}

/** DALL·E models: none of the GPT-only fields; `response_format` url (default) or b64_json. */
export function checkDallEFields(body: Record<string, unknown>): 'url' | 'b64_json' {
  let responseFormat: 'url' | 'b64_json' = 'url';
  for (const field of GPT_ONLY_FIELDS) {
    if (body[field] !== undefined) {
      throw openAIError(
        400,
        `The '${field}' parameter is only supported for GPT image models.`,
        field,
        'unsupported_parameter',
      );
    }
  }
  if (body.response_format !== undefined) {
    if (body.response_format !== 'url' && body.response_format !== 'b64_json') {
      throw openAIError(
        400,
        `Invalid 'response_format': '${String(body.response_format)}'. Supported values: 'url', 'b64_json'.`,
        'response_format',
        'invalid_value',
      );
    }
    responseFormat = body.response_format;
  }
  return responseFormat;
}

/** Everything needed to answer a validated request, whatever the endpoint. */
export interface ImagePlan {
  model: ModelDescriptor;
  family: 'gpt-image' | 'dall-e';
  /** `image_generation` or `image_edit`: the prefix of stream event names. */
  eventPrefix: 'image_generation' | 'image_edit';
  /** The text the images are drawn from (the prompt, plus the input image's hash for edits). */
  drawFrom: string;
  /** The prompt as sent (for revised_prompt and text tokens). */
  prompt: string;
  n: number;
  width: number;
  height: number;
  format: ImageFormat;
  compression?: number | undefined;
  responseFormat: 'url' | 'b64_json';
  quality?: unknown;
  background?: unknown;
  /** Set when `stream: true`: the partial images to send per image. */
  partialImages?: number | undefined;
  /** Input image tokens (edits). */
  inputImageTokens: number;
}

/** The model a request names, or OpenAI's 404 for an unknown or retired one. */
export function knownModel(context: FakeOpenAIContext, modelId: string): ModelDescriptor {
  const model = context.models.get(modelId);
  if (!model || context.unavailable.has(modelId)) {
    throw openAIError(
      404,
      `The model \`${modelId}\` does not exist or you do not have access to it.`,
      'model',
      'model_not_found',
    );
  }
  return model;
}

/** The images of one answer, as `b64_json` or as URLs the fake serves itself. */
async function imageEntries(
  context: FakeOpenAIContext,
  plan: ImagePlan,
  scenario: FakeOpenAIScenario | undefined,
): Promise<Array<Record<string, unknown>>> {
  const { drawFrom, prompt, n, width, height, format, compression } = plan;
  const data: Array<Record<string, unknown>> = [];
  const rewrites = openAIModelData(plan.model).rewritesPrompt === true;
  for (let index = 0; index < n; index++) {
    let bytes: Uint8Array;
    if (scenario?.type === 'not_an_image')
      bytes = new TextEncoder().encode('this is not an image, just some text');
    else if (scenario?.type === 'wrong_format')
      bytes = await render(context, width, height, 'jpeg', drawFrom, index);
    else bytes = await render(context, width, height, format, drawFrom, index, compression);
    const entry: Record<string, unknown> = {};
    if (plan.responseFormat === 'url' || scenario?.type === 'url') {
      const fileId = randomBytes(12).toString('hex');
      context.files.set(fileId, bytes);
      entry.url = `${context.baseUrl}/fake-files/${fileId}.${format === 'jpeg' ? 'jpg' : format}`;
    } else {
      entry.b64_json = Buffer.from(bytes).toString('base64');
    }
    if (rewrites) {
      entry.revised_prompt = prompt.startsWith(DALL_E_3_NO_REWRITE_PREFIX)
        ? prompt.slice(DALL_E_3_NO_REWRITE_PREFIX.length).trim()
        : `${prompt}, rendered in rich detail with balanced composition and soft natural lighting.`;
    }
    data.push(entry);
  }
  return data;
}

/** The quality a GPT image model reports (`auto` resolves to medium in the fake). */
export function reportedQuality(plan: ImagePlan): string {
  return plan.quality === undefined || plan.quality === 'auto' ? 'medium' : String(plan.quality);
}

/** `ImageGenUsage` for `images` of the plan's images (all of them for a JSON answer). */
export function usageOf(plan: ImagePlan, images: number, withInput = true) {
  const quality = reportedQuality(plan);
  const perImage = Math.ceil(((IMAGE_TOKENS[quality] ?? 1056) * plan.width * plan.height) / (1024 * 1024));
  const textTokens = withInput ? Math.ceil(plan.prompt.length / 4) : 0;
  const imageInput = withInput ? plan.inputImageTokens : 0;
  const output = perImage * images;
  return {
    input_tokens: textTokens + imageInput,
    input_tokens_details: { text_tokens: textTokens, image_tokens: imageInput },
    output_tokens: output,
    output_tokens_details: { image_tokens: output, text_tokens: 0 },
    total_tokens: textTokens + imageInput + output,
  };
}

/** The JSON `ImagesResponse` of a plan (GPT image models add the echoed fields and usage). */
export async function answerBody(
  context: FakeOpenAIContext,
  plan: ImagePlan,
  scenario: FakeOpenAIScenario | undefined,
): Promise<Record<string, unknown>> {
  const created = Math.floor(Date.now() / 1000);
  if (scenario?.type === 'empty') return { created, data: [] };
  const data = await imageEntries(context, plan, scenario);
  const result: Record<string, unknown> = { created, data };
  if (plan.family === 'gpt-image') {
    result.background = plan.background === 'transparent' ? 'transparent' : 'opaque';
    result.output_format = plan.format;
    result.size = `${plan.width}x${plan.height}`;
    result.quality = reportedQuality(plan);
    result.usage = usageOf(plan, plan.n);
  }
  return result;
}

/** `POST /v1/images/generations` (and Azure's deployment path): validated like OpenAI. */
export function planGeneration(
  context: FakeOpenAIContext,
  body: Record<string, unknown>,
  modelId: string,
): ImagePlan {
  const model = knownModel(context, modelId);
  const family = openAIModelData(model).family;
  const { prompt, n, width, height } = checkCommonFields(body, model);
  const gpt =
    family === 'gpt-image'
      ? checkGptImageFields(context, body, model.capabilities)
      : { format: 'png' as ImageFormat, compression: undefined, partialImages: undefined };
  return {
    model,
    family,
    eventPrefix: 'image_generation',
    drawFrom: prompt,
    prompt,
    n,
    width,
    height,
    format: gpt.format,
    compression: gpt.compression,
    responseFormat: family === 'gpt-image' ? 'b64_json' : checkDallEFields(body),
    quality: body.quality,
    background: body.background,
    partialImages: gpt.partialImages,
    inputImageTokens: 0,
  };
}

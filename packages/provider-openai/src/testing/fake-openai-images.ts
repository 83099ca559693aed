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
function checkSize(size: unknown, model: ModelDescriptor): { width: number; height: number } {
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
function checkCommonFields(body: Record<string, unknown>, model: ModelDescriptor) {
  const modelId = model.id;
  const caps = model.capabilities;
  for (const key of Object.keys(body)) {
    if (!GENERATION_FIELDS.has(key))
      throw openAIError(400, `Unknown parameter: '${key}'.`, key, 'unknown_parameter');
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

/** GPT image models: no response_format, and the output fields they alone take. */
function checkGptImageFields(
  context: FakeOpenAIContext,
  body: Record<string, unknown>,
  caps: ModelDescriptor['capabilities'],
): { format: ImageFormat; compression: number | undefined } {
  const options = context.options;
  let format = 'png' as ImageFormat;
  let compression: number | undefined;
  if (body.response_format !== undefined && (options.gptImageResponseFormat ?? 'reject') === 'reject') {
    throw openAIError(400, "Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter');
  }
  if (body.stream === true) {
    throw openAIError(400, 'Streaming is not supported by this fake server.', 'stream', 'unsupported_value');
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
  return { format, compression };
}

/** DALL·E models: none of the GPT-only fields; `response_format` url (default) or b64_json. */
function checkDallEFields(body: Record<string, unknown>): 'url' | 'b64_json' {
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

/** The images of one answer, as `b64_json` or as URLs the fake serves itself. */
async function imageEntries(
  context: FakeOpenAIContext,
  model: ModelDescriptor,
  request: {
    prompt: string;
    n: number;
    width: number;
    height: number;
    format: ImageFormat;
    compression?: number;
  },
  responseFormat: 'url' | 'b64_json',
  scenario: FakeOpenAIScenario | undefined,
): Promise<Array<Record<string, unknown>>> {
  const { prompt, n, width, height, format, compression } = request;
  const files = context.files;
  const baseUrl = context.baseUrl;
  const data: Array<Record<string, unknown>> = [];
  const rewrites = openAIModelData(model).rewritesPrompt === true;
  for (let index = 0; index < n; index++) {
    let bytes: Uint8Array;
    if (scenario?.type === 'not_an_image')
      bytes = new TextEncoder().encode('this is not an image, just some text');
    else if (scenario?.type === 'wrong_format')
      bytes = await render(context, width, height, 'jpeg', prompt, index);
    else bytes = await render(context, width, height, format, prompt, index, compression);
    const entry: Record<string, unknown> = {};
    if (responseFormat === 'url') {
      const fileId = randomBytes(12).toString('hex');
      files.set(fileId, bytes);
      entry.url = `${baseUrl}/fake-files/${fileId}.${format === 'jpeg' ? 'jpg' : format}`;
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

/** `POST /v1/images/generations` (and Azure's deployment path): validated like OpenAI, real images back. */
export async function generateImages(
  context: FakeOpenAIContext,
  body: Record<string, unknown>,
  modelId: string,
  scenario: FakeOpenAIScenario | undefined,
): Promise<{ status: number; body: unknown }> {
  const model = context.models.get(modelId);
  if (!model || context.unavailable.has(modelId)) {
    throw openAIError(
      404,
      `The model \`${modelId}\` does not exist or you do not have access to it.`,
      'model',
      'model_not_found',
    );
  }
  const family = openAIModelData(model).family;
  const { prompt, n, width, height } = checkCommonFields(body, model);
  const { format, compression } =
    family === 'gpt-image'
      ? checkGptImageFields(context, body, model.capabilities)
      : { format: 'png' as ImageFormat, compression: undefined };
  let responseFormat = family === 'gpt-image' ? 'b64_json' : checkDallEFields(body);
  if (scenario?.type === 'url') responseFormat = 'url';
  if (scenario?.type === 'empty')
    return { status: 200, body: { created: Math.floor(Date.now() / 1000), data: [] } };
  const data = await imageEntries(
    context,
    model,
    { prompt, n, width, height, format, ...(compression === undefined ? {} : { compression }) },
    responseFormat,
    scenario,
  );
  const result: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
  if (family === 'gpt-image') {
    const quality = body.quality === undefined || body.quality === 'auto' ? 'medium' : String(body.quality);
    const imageTokens = Math.ceil(((IMAGE_TOKENS[quality] ?? 1056) * width * height) / (1024 * 1024)) * n;
    const textTokens = Math.ceil(prompt.length / 4);
    result.background = body.background === 'transparent' ? 'transparent' : 'opaque';
    result.output_format = format;
    result.size = `${width}x${height}`;
    result.quality = quality;
    result.usage = {
      input_tokens: textTokens,
      input_tokens_details: { text_tokens: textTokens, image_tokens: 0 },
      output_tokens: imageTokens,
      output_tokens_details: { image_tokens: imageTokens, text_tokens: 0 },
      total_tokens: textTokens + imageTokens,
    };
  }
  return { status: 200, body: result };
}

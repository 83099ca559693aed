import { createHash } from 'node:crypto';
import { sniffImage } from '@pixelgate/core/provider-utils';
import type { ModelDescriptor } from '@pixelgate/core/spec';
import { openAIModelData } from '../openai-catalog.ts';
import {
  checkCommonFields,
  checkDallEFields,
  checkGptImageFields,
  checkSize,
  type ImagePlan,
  knownModel,
} from './fake-openai-images.ts';
import type { FakeForm, FakeUpload } from './fake-openai-multipart.ts';
import { type FakeOpenAIContext, type ImageFormat, openAIError } from './fake-openai-shared.ts';

/** Text fields of `POST /images/edits` (`CreateImageEditRequest`, reference 1.2). */
export const EDIT_FIELDS = new Set([
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'response_format',
  'output_format',
  'output_compression',
  'background',
  'input_fidelity',
  'stream',
  'partial_images',
  'user',
]);
/** Text fields of `POST /images/variations` (`CreateImageVariationRequest`). */
export const VARIATION_FIELDS = new Set(['model', 'n', 'size', 'response_format', 'user']);
/** An input image rule of a model (`capabilities.edit.input` / `capabilities.variation.input`). */
type InputImageLimits = NonNullable<ModelDescriptor['capabilities']['edit']>['input'];
const NUMERIC_FIELDS = new Set(['n', 'output_compression', 'partial_images']);
/** Input image tokens per image, by input fidelity (made-up but fixed, so usage is checkable). */
const INPUT_IMAGE_TOKENS = { low: 323, high: 4160 } as const;

/** Form fields as the JSON route would see them: numbers and booleans typed, others as text. */
function formBody(form: FakeForm, allowed: ReadonlySet<string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form.fields)) {
    if (!allowed.has(name))
      throw openAIError(400, `Unknown parameter: '${name}'.`, name, 'unknown_parameter');
    if (NUMERIC_FIELDS.has(name) && /^-?\d+$/.test(value)) body[name] = Number(value);
    else if (name === 'stream' && (value === 'true' || value === 'false')) body[name] = value === 'true';
    else body[name] = value;
  }
  return body;
}

/** Whether a PNG has an alpha channel: colour type 4 or 6, or a `tRNS` chunk. */
export function pngHasAlpha(bytes: Uint8Array): boolean {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const colourType = view[25];
  if (colourType === 4 || colourType === 6) return true;
  let offset = 8;
  while (offset + 8 <= view.length) {
    const length = view.readUInt32BE(offset);
    const type = view.toString('latin1', offset + 4, offset + 8);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + length;
  }
  return false;
}

/** Checks one input file like the API: type by magic bytes, byte and pixel limits, squareness. */
function checkInputImage(file: FakeUpload, limits: InputImageLimits, param: string) {
  const sniffed = sniffImage(file.bytes);
  const accepted = limits.mediaTypes.map((type) => `'${type}'`).join(', ');
  if (!sniffed || !limits.mediaTypes.includes(sniffed.mediaType as 'image/png')) {
    throw openAIError(
      400,
      `Invalid file '${param}': unsupported image format${sniffed ? ` (${sniffed.mediaType})` : ''}. Supported formats are ${accepted}.`,
      param,
      'invalid_image_format',
    );
  }
  if (file.bytes.byteLength > limits.maxBytes) {
    throw openAIError(
      400,
      `Invalid file '${param}': the image is larger than ${limits.maxBytes} bytes.`,
      param,
      'image_too_large',
    );
  }
  const { width = 0, height = 0 } = sniffed;
  if (width * height > limits.maxPixels || (limits.maxSide && Math.max(width, height) > limits.maxSide)) {
    throw openAIError(
      400,
      `Invalid file '${param}': the image has too many pixels (${width}x${height}).`,
      param,
      'image_too_large',
    );
  }
  if (limits.square && width !== height) {
    throw openAIError(
      400,
      `Invalid file '${param}': uploaded image must be square (got ${width}x${height}).`,
      param,
      'invalid_image_dimensions',
    );
  }
  return { width, height, mediaType: sniffed.mediaType };
}

/** The mask: allowed for the model, a PNG with an alpha channel, the size of the first image. */
function checkMask(mask: FakeUpload, model: ModelDescriptor, first: { width: number; height: number }): void {
  if (!model.capabilities.edit?.mask) {
    throw openAIError(
      400,
      `The 'mask' parameter is not supported for model ${model.id}.`,
      'mask',
      'unsupported_parameter',
    );
  }
  const sniffed = sniffImage(mask.bytes);
  if (sniffed?.mediaType !== 'image/png') {
    throw openAIError(
      400,
      "Invalid file 'mask': the mask must be a PNG image.",
      'mask',
      'invalid_image_format',
    );
  }
  if (!pngHasAlpha(mask.bytes)) {
    throw openAIError(
      400,
      "Invalid file 'mask': the mask must have an alpha channel.",
      'mask',
      'invalid_image_format',
    );
  }
  if (sniffed.width !== first.width || sniffed.height !== first.height) {
    throw openAIError(
      400,
      `Invalid file 'mask': mask size ${sniffed.width}x${sniffed.height} does not match image size ${first.width}x${first.height}.`,
      'mask',
      'invalid_image_dimensions',
    );
  }
}

/** The input images of an edit: `image` or `image[]` parts, at most the model's count. */
function editImages(form: FakeForm, model: ModelDescriptor) {
  const edit = model.capabilities.edit!;
  for (const file of form.files) {
    if (file.field !== 'image' && file.field !== 'image[]' && file.field !== 'mask') {
      throw openAIError(400, `Unknown parameter: '${file.field}'.`, file.field, 'unknown_parameter');
    }
  }
  const images = form.files.filter((file) => file.field === 'image' || file.field === 'image[]');
  if (images.length === 0)
    throw openAIError(400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  if (images.length > edit.maxImages) {
    throw openAIError(
      400,
      `Invalid 'image': at most ${edit.maxImages} images are allowed for ${model.id}, got ${images.length}.`,
      'image',
      'too_many_images',
    );
  }
  const checked = images.map((file, index) =>
    checkInputImage(file, edit.input, images.length > 1 ? `image[${index}]` : 'image'),
  );
  const mask = form.files.find((file) => file.field === 'mask');
  if (mask) checkMask(mask, model, checked[0]!);
  return images;
}

function inputFidelityOf(body: Record<string, unknown>, model: ModelDescriptor): 'low' | 'high' {
  if (body.input_fidelity === undefined) return 'low';
  const accepted = model.capabilities.edit?.inputFidelity ?? [];
  if (accepted.length === 0) {
    throw openAIError(
      400,
      `The 'input_fidelity' parameter is not supported for model ${model.id}.`,
      'input_fidelity',
      'unsupported_parameter',
    );
  }
  if (!accepted.includes(body.input_fidelity as 'low')) {
    throw openAIError(
      400,
      `Invalid 'input_fidelity': '${String(body.input_fidelity)}'. Supported values: 'low', 'high'.`,
      'input_fidelity',
      'invalid_value',
    );
  }
  return body.input_fidelity as 'low' | 'high';
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** `POST /v1/images/edits` (and Azure's): validated like the real API, drawn from the inputs. */
export function planEdit(
  context: FakeOpenAIContext,
  form: FakeForm,
  routeModel: string | undefined,
): ImagePlan {
  const body = formBody(form, EDIT_FIELDS);
  const model = knownModel(
    context,
    routeModel ?? (typeof body.model === 'string' ? body.model : 'gpt-image-1.5'),
  );
  if (!model.capabilities.edit) {
    throw openAIError(
      400,
      `Invalid value for 'model': ${model.id} does not support image edits.`,
      'model',
      'invalid_value',
    );
  }
  const images = editImages(form, model);
  const fidelity = inputFidelityOf(body, model);
  const family = openAIModelData(model).family;
  const { prompt, n, width, height } = checkCommonFields(body, model, EDIT_FIELDS);
  const gpt =
    family === 'gpt-image'
      ? checkGptImageFields(context, body, model.capabilities)
      : { format: 'png' as ImageFormat, compression: undefined, partialImages: undefined };
  return {
    model,
    family,
    eventPrefix: 'image_edit',
    drawFrom: `${prompt}#${images.map((image) => hashOf(image.bytes)).join(',')}`,
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
    inputImageTokens: family === 'gpt-image' ? images.length * INPUT_IMAGE_TOKENS[fidelity] : 0,
  };
}

/** `POST /v1/images/variations`: dall-e-2 semantics, one square PNG, no prompt. */
export function planVariation(context: FakeOpenAIContext, form: FakeForm): ImagePlan {
  const body = formBody(form, VARIATION_FIELDS);
  const model = knownModel(context, typeof body.model === 'string' ? body.model : 'dall-e-2');
  const variation = model.capabilities.variation;
  if (!variation) {
    throw openAIError(
      400,
      `Invalid value for 'model': ${model.id} does not support image variations.`,
      'model',
      'invalid_value',
    );
  }
  const files = form.files;
  const unknown = files.find((file) => file.field !== 'image');
  if (unknown)
    throw openAIError(400, `Unknown parameter: '${unknown.field}'.`, unknown.field, 'unknown_parameter');
  if (files.length !== 1)
    throw openAIError(
      400,
      "Invalid 'image': exactly one image is required.",
      'image',
      files.length === 0 ? 'missing_required_parameter' : 'invalid_value',
    );
  checkInputImage(files[0]!, variation.input, 'image');
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10) {
    throw openAIError(400, "Invalid 'n': expected an integer between 1 and 10.", 'n', 'invalid_value');
  }
  const { width, height } = checkSize(body.size, model);
  return {
    model,
    family: 'dall-e',
    eventPrefix: 'image_edit',
    drawFrom: `variation#${hashOf(files[0]!.bytes)}`,
    prompt: '',
    n,
    width,
    height,
    format: 'png',
    responseFormat: checkDallEFields(body),
    inputImageTokens: 0,
  };
}

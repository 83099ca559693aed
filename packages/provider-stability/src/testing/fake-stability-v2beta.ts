/**
 * The v2beta Stable Image route (`POST /v2beta/stable-image/generate/{ultra|core|sd3}`): multipart
 * parsed and validated per endpoint, one image back as raw bytes or JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sniffImage } from '@pixelgate/core/provider-utils';
import {
  STABILITY_ASPECT_RATIOS,
  STABILITY_CREDITS_PER_IMAGE,
  STABILITY_SD3_LEGACY_MODELS,
  STABILITY_SD3_MODELS,
  STABILITY_STYLE_PRESETS,
  type StabilityEndpoint,
} from '../stability-catalog.ts';
import {
  charge,
  checkWords,
  deliver,
  type FakeStabilityContext,
  HttpFailure,
  parseWxH,
  randomSeed,
  render,
  V2BETA_FIELDS,
  V2BETA_MAX_SEED,
} from './fake-stability-context.ts';
import { parseMultipart } from './fake-stability-multipart.ts';
import type { FakeStabilityRequest, FakeStabilityScenario } from './fake-stability-types.ts';

/** The endpoint, content type and accept header, checked as Stability does. */
function checkV2betaHeaders(
  kindText: string,
  request: IncomingMessage,
): { kind: StabilityEndpoint; contentType: string; wantsJson: boolean } {
  if (kindText !== 'ultra' && kindText !== 'core' && kindText !== 'sd3') {
    throw new HttpFailure(404, 'not_found', `/v2beta/stable-image/generate/${kindText} does not exist.`);
  }
  return { kind: kindText, ...checkMultipartHeaders(request) };
}

/** The content type, accept and client headers, checked as every v2beta endpoint does. */
export function checkMultipartHeaders(request: IncomingMessage): { contentType: string; wantsJson: boolean } {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new HttpFailure(400, 'bad_request', 'content-type: must be multipart/form-data');
  }
  const accept = (request.headers.accept ?? 'image/*').trim().toLowerCase();
  const wantsJson = accept === 'application/json';
  if (!wantsJson && accept !== 'image/*' && accept !== '*/*') {
    throw new HttpFailure(400, 'bad_request', 'accept: must be one of application/json, image/*');
  }
  for (const name of ['stability-client-id', 'stability-client-user-id', 'stability-client-version']) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.length > 256) {
      throw new HttpFailure(400, 'bad_request', `${name}: must be at most 256 characters`);
    }
  }
  return { contentType, wantsJson };
}

/** Parses the multipart body, recording its fields, and refuses fields the endpoint does not take. */
async function readV2betaForm(
  ctx: FakeStabilityContext,
  kind: StabilityEndpoint,
  contentType: string,
  body: Buffer,
  record: FakeStabilityRequest,
): Promise<{ fields: Record<string, string>; files: Record<string, Uint8Array> }> {
  const form = await parseMultipart(contentType, body, record);
  const fields = form.fields;
  const files: Record<string, Uint8Array> = {};
  // The official Python sample sends an empty file named `none` only to force multipart.
  for (const [name, file] of Object.entries(form.files)) if (name !== 'none') files[name] = file.bytes;
  const allowed = V2BETA_FIELDS[kind];
  if (ctx.unknownFields === 'reject') {
    for (const name of [...Object.keys(fields), ...Object.keys(files)]) {
      if (!allowed.includes(name))
        throw new HttpFailure(400, 'bad_request', `${name}: is not allowed for ${kind}`);
    }
  }
  return { fields, files };
}

/** The text fields: prompt, negative prompt, output format, seed, style preset, sd3 model. */
function checkV2betaFields(
  ctx: FakeStabilityContext,
  kind: StabilityEndpoint,
  fields: Record<string, string>,
) {
  const prompt = fields.prompt;
  if (prompt === undefined) throw new HttpFailure(400, 'bad_request', 'prompt: is required');
  if (prompt.length < 1 || prompt.length > 10_000) {
    throw new HttpFailure(400, 'bad_request', 'prompt: must be between 1 and 10000 characters');
  }
  const negative = fields.negative_prompt;
  if (negative !== undefined && negative.length > 10_000) {
    throw new HttpFailure(400, 'bad_request', 'negative_prompt: must be at most 10000 characters');
  }
  const outputFormat = fields.output_format ?? 'png';
  if (outputFormat !== 'png' && outputFormat !== 'jpeg' && outputFormat !== 'webp') {
    throw new HttpFailure(400, 'bad_request', 'output_format: must be one of jpeg, png, webp');
  }
  let seed = 0;
  if (fields.seed !== undefined) {
    if (!/^\d{1,10}$/.test(fields.seed) || Number(fields.seed) > V2BETA_MAX_SEED) {
      throw new HttpFailure(400, 'bad_request', `seed: must be an integer between 0 and ${V2BETA_MAX_SEED}`);
    }
    seed = Number(fields.seed);
  }
  if (
    fields.style_preset !== undefined &&
    !(STABILITY_STYLE_PRESETS as readonly string[]).includes(fields.style_preset)
  ) {
    throw new HttpFailure(
      400,
      'bad_request',
      `style_preset: must be one of ${STABILITY_STYLE_PRESETS.join(', ')}`,
    );
  }
  let model: string | undefined;
  if (kind === 'sd3') {
    model = fields.model ?? 'sd3.5-large';
    const known =
      (STABILITY_SD3_MODELS as readonly string[]).includes(model) || model in STABILITY_SD3_LEGACY_MODELS;
    if (!known)
      throw new HttpFailure(400, 'bad_request', `model: must be one of ${STABILITY_SD3_MODELS.join(', ')}`);
    if (ctx.retired.has(model)) throw new HttpFailure(404, 'not_found', `model: ${model} has been retired`);
    model = STABILITY_SD3_LEGACY_MODELS[model] ?? model;
    if (fields.cfg_scale !== undefined && !Number.isFinite(Number(fields.cfg_scale))) {
      throw new HttpFailure(400, 'bad_request', 'cfg_scale: must be a number');
    }
  } else if (ctx.retired.has(`stable-image-${kind}`)) {
    throw new HttpFailure(404, 'not_found', `stable-image-${kind} has been retired`);
  }
  return { prompt, negative, outputFormat: outputFormat as 'png' | 'jpeg' | 'webp', seed, model };
}

/** Image-to-image (ultra with an image, sd3 mode=image-to-image): the input image and strength. */
function checkImageToImage(
  kind: StabilityEndpoint,
  fields: Record<string, string>,
  files: Record<string, Uint8Array>,
): { width: number; height: number } | undefined {
  const mode = fields.mode ?? 'text-to-image';
  if (kind === 'sd3' && mode !== 'text-to-image' && mode !== 'image-to-image') {
    throw new HttpFailure(400, 'bad_request', 'mode: must be one of text-to-image, image-to-image');
  }
  const imageToImage =
    (kind === 'sd3' && mode === 'image-to-image') || (kind === 'ultra' && files.image !== undefined);
  let inputSize: { width: number; height: number } | undefined;
  if (imageToImage) {
    const image = files.image;
    if (!image) throw new HttpFailure(400, 'bad_request', 'image: is required for image-to-image');
    const sniffed = sniffImage(image);
    if (!sniffed || sniffed.mediaType === 'image/gif' || !sniffed.width || !sniffed.height) {
      throw new HttpFailure(400, 'bad_request', 'image: must be a jpeg, png or webp image');
    }
    if (sniffed.width < 64 || sniffed.height < 64)
      throw new HttpFailure(400, 'bad_request', 'image: each side must be at least 64 pixels');
    if (
      kind === 'ultra' &&
      (sniffed.width > 16_384 || sniffed.height > 16_384 || sniffed.width * sniffed.height < 4096)
    ) {
      throw new HttpFailure(
        400,
        'bad_request',
        'image: sides must be 64-16384 pixels and the image at least 4096 pixels',
      );
    }
    if (fields.strength === undefined)
      throw new HttpFailure(400, 'bad_request', 'strength: is required for image-to-image');
    const strength = Number(fields.strength);
    if (!(strength >= 0 && strength <= 1))
      throw new HttpFailure(400, 'bad_request', 'strength: must be between 0 and 1');
    if (kind === 'sd3' && fields.aspect_ratio !== undefined) {
      throw new HttpFailure(400, 'bad_request', 'aspect_ratio: is only allowed for text-to-image');
    }
    inputSize = { width: sniffed.width, height: sniffed.height };
  } else if (files.image !== undefined || fields.strength !== undefined) {
    throw new HttpFailure(
      400,
      'bad_request',
      `${files.image ? 'image' : 'strength'}: is only allowed with mode=image-to-image`,
    );
  }
  return inputSize;
}

/** Answers one v2beta request: validated like the real endpoint, then one image in the asked format. */
export async function handleV2beta(
  ctx: FakeStabilityContext,
  kindText: string,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  record: FakeStabilityRequest,
  scenario: FakeStabilityScenario,
): Promise<void> {
  const { kind, contentType, wantsJson } = checkV2betaHeaders(kindText, request);
  const { fields, files } = await readV2betaForm(ctx, kind, contentType, body, record);
  const { prompt, negative, outputFormat, seed, model } = checkV2betaFields(ctx, kind, fields);
  const inputSize = checkImageToImage(kind, fields, files);
  const ratio = fields.aspect_ratio ?? '1:1';
  if (!(STABILITY_ASPECT_RATIOS as readonly string[]).includes(ratio)) {
    throw new HttpFailure(
      400,
      'bad_request',
      `aspect_ratio: must be one of ${STABILITY_ASPECT_RATIOS.join(', ')}`,
    );
  }
  const words = checkWords(ctx, prompt);
  if (words === 'moderated') {
    throw new HttpFailure(
      403,
      'content_moderation',
      'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
    );
  }
  const price =
    kind === 'sd3'
      ? STABILITY_CREDITS_PER_IMAGE[model!]!
      : STABILITY_CREDITS_PER_IMAGE[`stable-image-${kind}`]!;
  charge(ctx, price);

  const size = inputSize ?? parseWxH(ctx.pixelSizes[kind][ratio] ?? '1024x1024');
  const usedSeed = seed === 0 ? randomSeed(ctx) : seed;
  const type = typeof scenario === 'string' ? scenario : scenario.type;
  const filtered = type === 'content_filtered' || words === 'filtered';
  // A filtered image is still an image (Stability blurs it); here a distinct placeholder stands in for the blur.
  const bytes = await render(
    ctx,
    size.width,
    size.height,
    outputFormat,
    filtered ? '[content filtered: blurred]' : `${prompt}\u0000${negative ?? ''}`,
    usedSeed,
  );
  const finishReason = filtered ? 'CONTENT_FILTERED' : 'SUCCESS';
  if (wantsJson) {
    const text = JSON.stringify({
      image: Buffer.from(bytes).toString('base64'),
      finish_reason: finishReason,
      seed: usedSeed,
    });
    return deliver(ctx, response, scenario, price, Buffer.from(text), {
      'content-type': `application/json; type=image/${outputFormat}`,
    });
  }
  return deliver(ctx, response, scenario, price, Buffer.from(bytes), {
    'content-type': `image/${outputFormat}`,
    'finish-reason': finishReason,
    seed: String(usedSeed),
  });
}

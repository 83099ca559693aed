/**
 * The v2beta edit routes (`POST /v2beta/stable-image/edit/{operation}`): multipart parsed with
 * busboy, validated per operation from the package's operation table (fields, image type by magic
 * bytes, sides, pixel count, aspect window, mask type and size, prompt rules, outpaint directions),
 * and one deterministic image back, drawn from the input's hash, the operation and the prompt.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { STABILITY_STYLE_PRESETS } from '../stability-catalog.ts';
import {
  STABILITY_EDIT_FACTS,
  STABILITY_EDIT_MIN_SIDE,
  STABILITY_EDIT_OPERATIONS,
  STABILITY_MAX_OUTPAINT,
  type StabilityEditOperation,
  type StabilityEditOperationFacts,
} from '../stability-edit-operations.ts';
import {
  charge,
  checkWords,
  deliver,
  type FakeStabilityContext,
  HttpFailure,
  randomSeed,
  render,
  V2BETA_MAX_SEED,
} from './fake-stability-context.ts';
import {
  type FakeMultipartFile,
  type FakeMultipartForm,
  parseMultipart,
} from './fake-stability-multipart.ts';
import type { FakeStabilityRequest, FakeStabilityScenario } from './fake-stability-types.ts';
import { checkMultipartHeaders } from './fake-stability-v2beta.ts';

const bad = (message: string) => new HttpFailure(400, 'bad_request', message);

/** The multipart fields one operation takes. */
function allowedFields(facts: StabilityEditOperationFacts): string[] {
  return [
    'image',
    'output_format',
    ...(facts.mask === 'none' ? [] : ['mask']),
    ...(facts.seed ? ['seed'] : []),
    ...facts.fields,
  ];
}

/** A file part that must be a PNG, JPEG or WebP by its bytes, whatever its declared type says. */
function sniffed(name: string, file: FakeMultipartFile | undefined) {
  if (!file) throw bad(`${name}: is required`);
  const image = sniffImage(file.bytes);
  if (!image || image.mediaType === 'image/gif' || !image.width || !image.height) {
    throw bad(`${name}: must be a jpeg, png or webp image`);
  }
  return { width: image.width, height: image.height };
}

/** A PNG whose colour type carries alpha (4 or 6): what inpaint and erase use when no mask is sent. */
function pngHasAlpha(bytes: Uint8Array): boolean {
  return bytes[0] === 0x89 && bytes[1] === 0x50 && (bytes[25] === 4 || bytes[25] === 6);
}

/** The input image's limits: sides, pixel count, aspect window. */
function checkImage(form: FakeMultipartForm, facts: StabilityEditOperationFacts) {
  const size = sniffed('image', form.files.image);
  const pixels = size.width * size.height;
  if (size.width < STABILITY_EDIT_MIN_SIDE || size.height < STABILITY_EDIT_MIN_SIDE) {
    throw bad('image: every side must be at least 64 pixels');
  }
  if (pixels < 4096 || pixels > facts.maxPixels) {
    throw bad(
      `image: total pixel count must be between 4,096 and ${facts.maxPixels.toLocaleString('en-US')} pixels`,
    );
  }
  const ratio = size.width / size.height;
  if (facts.limitedAspectRatio && (ratio < 1 / 2.5 || ratio > 2.5)) {
    throw bad('image: the aspect ratio must be between 1:2.5 and 2.5:1');
  }
  return size;
}

/** The mask: an image of the input's size, or the input's alpha channel where the operation allows it. */
function checkMask(
  ctx: FakeStabilityContext,
  form: FakeMultipartForm,
  facts: StabilityEditOperationFacts,
  size: { width: number; height: number },
) {
  const file = form.files.mask;
  if (!file) {
    if (facts.mask === 'required' && !pngHasAlpha(form.files.image!.bytes)) {
      throw bad('mask: is required when the image has no alpha channel');
    }
    return;
  }
  const mask = sniffed('mask', file);
  const mismatch = mask.width !== size.width || mask.height !== size.height;
  if (mismatch && (ctx.options.maskSizeMismatch ?? 'reject') === 'reject') {
    throw bad(
      `mask: must be the same size as image (${size.width}x${size.height}), got ${mask.width}x${mask.height}`,
    );
  }
}

/** A numeric field within its range, or a 400 naming it. */
function numberField(
  fields: Record<string, string>,
  name: string,
  min: number,
  max: number,
  integer: boolean,
) {
  const text = fields[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw bad(`${name}: must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`);
  }
  return value;
}

/** The text and number fields of one operation. */
function checkFields(
  fields: Record<string, string>,
  operation: StabilityEditOperation,
  facts: StabilityEditOperationFacts,
) {
  const prompt = fields.prompt ?? '';
  if (facts.prompt === 'required' && prompt.length === 0) throw bad('prompt: is required');
  if (prompt.length > 10_000) throw bad('prompt: must be at most 10000 characters');
  if ((fields.negative_prompt ?? '').length > 10_000)
    throw bad('negative_prompt: must be at most 10000 characters');
  if (operation === 'search-and-replace' && !fields.search_prompt) throw bad('search_prompt: is required');
  if (facts.maxGrowMask !== undefined) numberField(fields, 'grow_mask', 0, facts.maxGrowMask, false);
  numberField(fields, 'creativity', 0, 1, false);
  const seed = numberField(fields, 'seed', 0, V2BETA_MAX_SEED, true) ?? 0;
  const extend = Object.fromEntries(
    (['left', 'right', 'up', 'down'] as const).map((side) => [
      side,
      numberField(fields, side, 0, STABILITY_MAX_OUTPAINT, true) ?? 0,
    ]),
  ) as Record<'left' | 'right' | 'up' | 'down', number>;
  if (operation === 'outpaint' && extend.left + extend.right + extend.up + extend.down === 0) {
    throw bad('left: at least one outpaint direction (left, right, up, down) must be non-zero');
  }
  const format = fields.output_format ?? 'png';
  if (!(facts.outputFormats as readonly string[]).includes(format)) {
    throw bad(`output_format: must be one of ${facts.outputFormats.join(', ')}`);
  }
  if (
    fields.style_preset !== undefined &&
    !(STABILITY_STYLE_PRESETS as readonly string[]).includes(fields.style_preset)
  ) {
    throw bad(`style_preset: must be one of ${STABILITY_STYLE_PRESETS.join(', ')}`);
  }
  return { prompt, seed, extend, format: format as 'png' | 'jpeg' | 'webp' };
}

/** Reads and validates one edit request; returns what the answer is drawn from. */
async function readEdit(
  ctx: FakeStabilityContext,
  operation: StabilityEditOperation,
  request: IncomingMessage,
  body: Buffer,
  record: FakeStabilityRequest,
) {
  const { contentType, wantsJson } = checkMultipartHeaders(request);
  const form = await parseMultipart(contentType, body, record);
  const facts = STABILITY_EDIT_FACTS[operation];
  const allowed = allowedFields(facts);
  if (ctx.unknownFields === 'reject') {
    for (const name of [...Object.keys(form.fields), ...Object.keys(form.files)]) {
      if (!allowed.includes(name)) throw bad(`${name}: is not allowed for ${operation}`);
    }
  }
  const size = checkImage(form, facts);
  checkMask(ctx, form, facts, size);
  const fields = checkFields(form.fields, operation, facts);
  const inputHash = createHash('sha256').update(form.files.image!.bytes).digest('hex').slice(0, 16);
  return { ...fields, size, wantsJson, inputHash, facts };
}

/** Answers one edit request: validated like the real endpoint, then one image in the asked format. */
export async function handleV2betaEdit(
  ctx: FakeStabilityContext,
  operationText: string,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  record: FakeStabilityRequest,
  scenario: FakeStabilityScenario,
): Promise<void> {
  if (!(STABILITY_EDIT_OPERATIONS as readonly string[]).includes(operationText)) {
    throw new HttpFailure(404, 'not_found', `/v2beta/stable-image/edit/${operationText} does not exist.`);
  }
  const operation = operationText as StabilityEditOperation;
  if (ctx.retired.has(`stable-image-${operation}`)) {
    throw new HttpFailure(404, 'not_found', `stable-image-${operation} has been retired`);
  }
  const edit = await readEdit(ctx, operation, request, body, record);
  const words = checkWords(ctx, `${edit.prompt} ${record.fields.search_prompt ?? ''}`);
  if (words === 'moderated') {
    throw new HttpFailure(
      403,
      'content_moderation',
      'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
    );
  }
  const credits = ctx.options.editCredits?.[operation] ?? edit.facts.credits;
  charge(ctx, credits);
  const width = edit.size.width + edit.extend.left + edit.extend.right;
  const height = edit.size.height + edit.extend.up + edit.extend.down;
  const seed = edit.seed === 0 ? randomSeed(ctx) : edit.seed;
  const type = typeof scenario === 'string' ? scenario : scenario.type;
  const filtered = type === 'content_filtered' || words === 'filtered';
  const drawn = filtered
    ? '[content filtered: blurred]'
    : `${operation}\u0000${edit.inputHash}\u0000${edit.prompt}`;
  const bytes = await render(ctx, width, height, edit.format, drawn, edit.facts.seed ? seed : 0);
  const finishReason = filtered ? 'CONTENT_FILTERED' : 'SUCCESS';
  const seedHeader: Record<string, string> = edit.facts.seed ? { seed: String(seed) } : {};
  if (edit.wantsJson) {
    const text = JSON.stringify({
      image: Buffer.from(bytes).toString('base64'),
      finish_reason: finishReason,
      ...(edit.facts.seed ? { seed } : {}),
    });
    return deliver(ctx, response, scenario, credits, Buffer.from(text), {
      'content-type': `application/json; type=image/${edit.format}`,
    });
  }
  return deliver(ctx, response, scenario, credits, Buffer.from(bytes), {
    'content-type': `image/${edit.format}`,
    'finish-reason': finishReason,
    ...seedHeader,
  });
}

/**
 * Imagen editing on the fake (`imagen-3.0-capability-001:predict` on Vertex): one instance with a
 * prompt and `referenceImages` (exactly one REFERENCE_TYPE_RAW image, at most one
 * REFERENCE_TYPE_MASK, with a user mask of the raw image's size or an automatic `maskMode`),
 * `editMode` checked against the mask. The request shape is UNCONFIRMED by the shared reference
 * (Google SDK samples); the answer is the generation answer at the input's size.
 */
import type { GoogleApi } from '../google-model-data.ts';
import { type FakeImagenContext, fail } from './fake-imagen-context.ts';
import { decodeInputImage, type FakeInputImage } from './fake-imagen-inputs.ts';
import { checkRouteParameters } from './fake-imagen-route-checks.ts';
import type { FakeImagenModel } from './fake-imagen-types.ts';

const EDIT_MODES = [
  'EDIT_MODE_DEFAULT',
  'EDIT_MODE_INPAINT_INSERTION',
  'EDIT_MODE_INPAINT_REMOVAL',
  'EDIT_MODE_OUTPAINT',
  'EDIT_MODE_BGSWAP',
];
const MASKED_MODES = ['EDIT_MODE_INPAINT_INSERTION', 'EDIT_MODE_INPAINT_REMOVAL', 'EDIT_MODE_BGSWAP'];
const MASK_MODES = [
  'MASK_MODE_USER_PROVIDED',
  'MASK_MODE_BACKGROUND',
  'MASK_MODE_FOREGROUND',
  'MASK_MODE_SEMANTIC',
];

interface Reference {
  referenceType?: unknown;
  referenceId?: unknown;
  referenceImage?: { bytesBase64Encoded?: unknown };
  maskImageConfig?: { maskMode?: unknown; dilation?: unknown };
}

const invalid = (message: string): never =>
  fail(400, `Image editing failed with the following error: ${message}`);

/** The mask reference: its mode, and a user mask the size of the raw image. */
function checkMask(ctx: FakeImagenContext, mask: Reference, raw: FakeInputImage, index: number): void {
  const config = mask.maskImageConfig ?? {};
  if (!MASK_MODES.includes(config.maskMode as string))
    invalid(`referenceImages[${index}].maskImageConfig.maskMode is invalid.`);
  const dilation = config.dilation;
  if (dilation !== undefined && !(typeof dilation === 'number' && dilation >= 0 && dilation <= 1)) {
    invalid(`referenceImages[${index}].maskImageConfig.dilation must be between 0 and 1.`);
  }
  if (config.maskMode !== 'MASK_MODE_USER_PROVIDED') return;
  const image = decodeInputImage(
    ctx,
    mask.referenceImage?.bytesBase64Encoded,
    `instances[0].referenceImages[${index}].referenceImage`,
  );
  if (image.width !== raw.width || image.height !== raw.height) {
    invalid(
      `the mask is ${image.width}x${image.height} but the image is ${raw.width}x${raw.height}; they must be the same size.`,
    );
  }
}

/** Sorts and checks the reference images: ids unique, one RAW, at most one MASK. */
function checkReferences(ctx: FakeImagenContext, references: unknown) {
  if (!Array.isArray(references) || references.length === 0)
    invalid('instances[0].referenceImages is required.');
  const list = references as Reference[];
  const ids = list.map((reference) => reference.referenceId);
  if (ids.some((id) => !Number.isInteger(id)) || new Set(ids).size !== ids.length) {
    invalid('each reference image needs a unique integer referenceId.');
  }
  const raws = list.filter((reference) => reference.referenceType === 'REFERENCE_TYPE_RAW');
  const masks = list.filter((reference) => reference.referenceType === 'REFERENCE_TYPE_MASK');
  if (raws.length + masks.length !== list.length)
    invalid('referenceType must be REFERENCE_TYPE_RAW or REFERENCE_TYPE_MASK.');
  if (raws.length !== 1) invalid(`exactly one REFERENCE_TYPE_RAW image is required (got ${raws.length}).`);
  if (masks.length > 1) invalid('at most one REFERENCE_TYPE_MASK reference is allowed.');
  const raw = decodeInputImage(
    ctx,
    raws[0]!.referenceImage?.bytesBase64Encoded,
    `instances[0].referenceImages[${list.indexOf(raws[0]!)}].referenceImage`,
  );
  if (masks[0]) checkMask(ctx, masks[0], raw, list.indexOf(masks[0]));
  return { raw, masked: masks.length === 1 };
}

/**
 * Checks an edit request and returns what `handlePredict` answers from: the prompt, the sample
 * count, the output size (the input's) and a salt that ties the drawing to the input and mode.
 */
export function checkEditShape(
  ctx: FakeImagenContext,
  model: FakeImagenModel,
  api: GoogleApi,
  body: Record<string, unknown>,
): { prompt: string; parameters: Record<string, unknown>; n: number; size: string; drawSalt: string } {
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length !== 1)
    invalid('instances must hold exactly one instance.');
  const instance = (instances as Array<{ prompt?: unknown; referenceImages?: unknown }>)[0]!;
  const parameters = (body.parameters ?? {}) as Record<string, unknown>;
  const editMode = (parameters.editMode ?? 'EDIT_MODE_DEFAULT') as string;
  if (!EDIT_MODES.includes(editMode))
    invalid(`editMode ${String(editMode)} is not supported by ${model.id}.`);
  const prompt = instance.prompt;
  if (typeof prompt !== 'string' || (prompt.length === 0 && editMode !== 'EDIT_MODE_INPAINT_REMOVAL')) {
    invalid('instances[0].prompt is required.');
  }
  const { raw, masked } = checkReferences(ctx, instance.referenceImages);
  if (MASKED_MODES.includes(editMode) && !masked)
    invalid(`${editMode} requires a REFERENCE_TYPE_MASK reference.`);
  const n = (parameters.sampleCount ?? 1) as number;
  if (!Number.isInteger(n) || n < 1 || n > model.maxSampleCount) {
    invalid(`sampleCount must be between 1 and ${model.maxSampleCount}.`);
  }
  checkRouteParameters(ctx, api, body, parameters);
  return {
    prompt: prompt as string,
    parameters,
    n,
    size: `${raw.width}x${raw.height}`,
    drawSalt: `\u0000${editMode}\u0000${raw.hash}`,
  };
}

import { validationError } from '../errors/gateway-error.ts';
import type {
  EditCapabilities,
  MaskConvention,
  ModelDescriptor,
  VariationCapabilities,
} from '../models/model-descriptor.ts';
import type { ProviderCall, ProviderInputImage, ProviderOperation } from '../provider/image-provider.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { DecodedInputImage } from '../request/input-image-source.ts';
import { extensionFor } from '../shared/media-type.ts';
import {
  type CheckedInputImage,
  checkInputImage,
  checkMaskHasAlpha,
  checkMaskMatches,
} from './input-image.ts';
import type { CapabilityPolicy } from './validate-capabilities.ts';

/** The request fields the operation checks read. */
export interface OperationRequestFields {
  stream?: boolean | undefined;
  partial_images?: number | undefined;
  input_fidelity?: 'low' | 'high' | undefined;
  mask_convention?: MaskConvention | undefined;
}

/** One input image (or the mask) as the audit record and events keep it: facts, never bytes. */
export interface InputImageFact {
  field: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  width: number;
  height: number;
}

/** An edit, variation or stream checked against one model. */
export interface OperationCheck {
  /** The call fields of the operation (`operation`, `images`, `mask`, `inputFidelity`, `partialImages`). */
  call: Pick<ProviderCall, 'operation' | 'images' | 'mask' | 'inputFidelity' | 'partialImages'>;
  /** Set when the caller's mask must be converted to the model's convention before sending. */
  maskConversion?: { from: MaskConvention; to: MaskConvention };
  inputImages?: InputImageFact[];
  /** Streamed requests: whether the model streams natively and how many partial images it sends. */
  stream?: { native: boolean; partialImagesRequested: number };
  warnings: GenerationWarning[];
}

const qualified = (model: ModelDescriptor): string => `${model.provider}/${model.id}`;

/** The models that can do what a request asks, for the error that refuses it. */
function acceptedModels(
  models: readonly ModelDescriptor[],
  can: (model: ModelDescriptor) => boolean,
): string {
  const names = models.filter(can).map(qualified);
  if (names.length === 0) return 'No configured model does.';
  const shown = names.slice(0, 10).map((name) => `'${name}'`);
  return `Models that do: ${shown.join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}.`;
}

/** The operations a model supports, in words. */
function operationsOf(model: ModelDescriptor): string {
  const { capabilities } = model;
  return ['generate', capabilities.edit ? 'edit' : '', capabilities.variation ? 'variation' : '']
    .filter(Boolean)
    .join(', ');
}

/** A checked image as a plugin receives it, and as the audit record keeps it. */
function toProviderImage(checked: CheckedInputImage, filename: string): ProviderInputImage {
  return {
    bytes: checked.bytes,
    mediaType: checked.mediaType as ProviderInputImage['mediaType'],
    width: checked.width,
    height: checked.height,
    sha256: checked.sha256,
    filename,
  };
}

function factOf(checked: CheckedInputImage): InputImageFact {
  const { field, sha256, sizeBytes, mediaType, width, height } = checked;
  return { field, sha256, sizeBytes, mediaType, width, height };
}

/** Every input image checked against the model's limits, in the caller's order. */
function checkImages(
  images: readonly DecodedInputImage[],
  limits: EditCapabilities['input'] | VariationCapabilities['input'],
): CheckedInputImage[] {
  return images.map((image) => checkInputImage(image.field, image.bytes, limits, image.declaredType));
}

/** The mask: an image like the others, the size of the first image, drawn as the caller says. */
function checkMask(
  mask: DecodedInputImage,
  edit: EditCapabilities,
  first: CheckedInputImage,
  from: MaskConvention,
  model: ModelDescriptor,
  models: () => readonly ModelDescriptor[],
): { checked: CheckedInputImage; to: MaskConvention } {
  if (!edit.mask) {
    throw validationError(
      'mask',
      `The model '${qualified(model)}' edits without a mask; remove 'mask'. ${acceptedModels(models(), (m) => m.capabilities.edit?.mask !== undefined)}`,
    );
  }
  const checked = checkInputImage('mask', mask.bytes, { ...edit.input, square: false }, mask.declaredType);
  checkMaskMatches(checked, first);
  if (from === 'alpha') checkMaskHasAlpha(checked);
  return { checked, to: edit.mask.convention };
}

/** `input_fidelity` against the model's list; an unsupported value is refused or dropped with a warning. */
function checkInputFidelity(
  value: 'low' | 'high' | undefined,
  edit: EditCapabilities,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  warnings: GenerationWarning[],
): 'low' | 'high' | undefined {
  if (value === undefined || edit.inputFidelity.includes(value)) return value;
  const accepted = edit.inputFidelity.length
    ? `it accepts ${edit.inputFidelity.map((v) => `'${v}'`).join(', ')}`
    : 'it has no input_fidelity setting';
  if (policy === 'strict') {
    throw validationError(
      'input_fidelity',
      `'${qualified(model)}' does not take input_fidelity '${value}'; ${accepted}.`,
    );
  }
  warnings.push({
    type: 'unsupported',
    param: 'input_fidelity',
    message: `'${qualified(model)}' does not take input_fidelity '${value}' (${accepted}); it was not sent.`,
    from: value,
  });
  return undefined;
}

/** The edit checks: the model edits, the images and mask fit it, the fidelity is one it takes. */
function checkEdit(
  request: OperationRequestFields,
  inputs: { images: readonly DecodedInputImage[]; mask?: DecodedInputImage | undefined },
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  models: () => readonly ModelDescriptor[],
  result: OperationCheck,
): void {
  const edit = model.capabilities.edit;
  if (!edit) {
    throw validationError(
      'model',
      `The model '${qualified(model)}' cannot edit images (it supports: ${operationsOf(model)}). ${acceptedModels(models(), (m) => m.capabilities.edit !== undefined)}`,
    );
  }
  if (inputs.images.length > edit.maxImages) {
    throw validationError(
      'image',
      `${inputs.images.length} images were sent; '${qualified(model)}' takes at most ${edit.maxImages} input image${edit.maxImages === 1 ? '' : 's'}.`,
      { max: edit.maxImages },
    );
  }
  if (edit.mask?.required && !inputs.mask) {
    throw validationError('mask', `'${qualified(model)}' needs a mask to edit; send 'mask'.`);
  }
  const checked = checkImages(inputs.images, edit.input);
  result.call.images = checked.map((image, index) =>
    toProviderImage(image, `image-${index}.${extensionFor(image.mediaType)}`),
  );
  result.inputImages = checked.map(factOf);
  if (inputs.mask) {
    const from = request.mask_convention ?? 'alpha';
    const mask = checkMask(inputs.mask, edit, checked[0]!, from, model, models);
    result.call.mask = {
      ...toProviderImage(mask.checked, `mask.${extensionFor(mask.checked.mediaType)}`),
      convention: from,
    };
    result.inputImages.push(factOf(mask.checked));
    if (from !== mask.to) result.maskConversion = { from, to: mask.to };
  }
  const inputFidelity = checkInputFidelity(request.input_fidelity, edit, model, policy, result.warnings);
  if (inputFidelity) result.call.inputFidelity = inputFidelity;
}

/** The variation checks: the model varies images, and the image fits its limits. */
function checkVariation(
  inputs: { images: readonly DecodedInputImage[] },
  model: ModelDescriptor,
  models: () => readonly ModelDescriptor[],
  result: OperationCheck,
): void {
  const variation = model.capabilities.variation;
  if (!variation) {
    throw validationError(
      'model',
      `The model '${qualified(model)}' does not make variations (it supports: ${operationsOf(model)}). ${acceptedModels(models(), (m) => m.capabilities.variation !== undefined)}`,
    );
  }
  const checked = checkImages(inputs.images, variation.input);
  result.call.images = checked.map((image, index) =>
    toProviderImage(image, `image-${index}.${extensionFor(image.mediaType)}`),
  );
  result.inputImages = checked.map(factOf);
}

/**
 * Streaming: a model that streams this operation natively gets `partialImages` (at most its
 * `maxPartialImages`); one that does not is refused under `strict`, or answers the stream with
 * the final image only (a warning) under `coerce`.
 */
function checkStream(
  operation: ProviderOperation,
  request: OperationRequestFields,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  models: () => readonly ModelDescriptor[],
  result: OperationCheck,
): void {
  const wanted = request.partial_images ?? 0;
  if (request.stream !== true && wanted === 0) return;
  const canStream = (m: ModelDescriptor) =>
    m.capabilities.stream !== undefined && (m.capabilities.stream.operations as string[]).includes(operation);
  const capabilities = model.capabilities.stream;
  if (!capabilities || !canStream(model)) {
    const param = request.stream === true ? 'stream' : 'partial_images';
    if (policy === 'strict') {
      throw validationError(
        param,
        `The model '${qualified(model)}' cannot stream partial images for ${operation}; remove '${param}' or use a model that streams. ${acceptedModels(models(), canStream)}`,
      );
    }
    result.warnings.push({
      type: 'unsupported',
      param,
      message: `'${qualified(model)}' does not stream partial images; the stream sends the final image only.`,
    });
    result.stream = { native: false, partialImagesRequested: 0 };
    return;
  }
  let partialImages = wanted;
  if (wanted > capabilities.maxPartialImages) {
    const max = capabilities.maxPartialImages;
    if (policy === 'strict') {
      throw validationError(
        'partial_images',
        `'${qualified(model)}' streams at most ${max} partial image${max === 1 ? '' : 's'}; ask for ${max} or fewer.`,
        { max },
      );
    }
    result.warnings.push({
      type: 'coerced',
      param: 'partial_images',
      message: `'${qualified(model)}' streams at most ${max} partial images; ${max} will be sent.`,
      from: wanted,
      to: max,
    });
    partialImages = max;
  }
  if (partialImages > 0) result.call.partialImages = partialImages;
  result.stream = { native: true, partialImagesRequested: partialImages };
}

/**
 * Checks what an operation adds to a request against one model, before anything is sent: that the
 * model edits or makes variations at all (refused naming `model` and the models that do), the
 * count, type, byte size and pixel size of the input images (read from their headers), the mask
 * (the model takes one, same size as the first image, drawn as declared), `input_fidelity`, and
 * streaming. `models` lists the registry's models for the refusals.
 */
export function validateOperation(
  operation: ProviderOperation,
  request: OperationRequestFields,
  inputs: { images: readonly DecodedInputImage[]; mask?: DecodedInputImage | undefined } | undefined,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  models: () => readonly ModelDescriptor[],
): OperationCheck {
  const result: OperationCheck = { call: { operation }, warnings: [] };
  if (operation === 'edit') checkEdit(request, inputs ?? { images: [] }, model, policy, models, result);
  else if (operation === 'variation') checkVariation(inputs ?? { images: [] }, model, models, result);
  if (operation !== 'variation') checkStream(operation, request, model, policy, models, result);
  return result;
}

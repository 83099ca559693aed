/**
 * What an edit call must satisfy before it is sent to a v2beta edit endpoint: the operation, the
 * input image and mask, the prompt and the operation's own options. Core already checked the
 * model's declared capabilities; these are the per-operation rules the capability data cannot
 * express (outpaint directions, search_prompt, grow_mask ranges, the aspect-ratio window, the
 * 10 MiB request the image and mask share). Each failure is a VALIDATION_ERROR naming the field.
 */
import {
  GatewayError,
  type GenerationWarning,
  type ProviderCall,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { StabilityProviderData } from './stability-catalog.ts';
import {
  STABILITY_EDIT_FACTS,
  STABILITY_MAX_REQUEST_BYTES,
  type StabilityEditOperationFacts,
  stabilityEditModelId,
} from './stability-edit-operations.ts';
import type { StabilityImageOptions } from './stability-options.ts';

type EditRoute = Extract<StabilityProviderData, { apiFamily: 'v2beta-edit' }>;
type InputImage = NonNullable<ProviderCall['images']>[number];

/** The input image and mask of a checked edit call. */
export interface CheckedEdit {
  image: InputImage;
  mask: ProviderCall['mask'];
  facts: StabilityEditOperationFacts;
  warnings: GenerationWarning[];
}

/** `edit_operation`, when given, must name this model's operation: the model decides price and checks. */
function checkOperation(provider: string, route: EditRoute, options: StabilityImageOptions, label: string) {
  const wanted = options.edit_operation;
  if (wanted === undefined || wanted === route.operation) return;
  throw validationError(
    `provider_options.${provider}.edit_operation`,
    `provider_options.${provider}.edit_operation '${wanted}' is not what '${label}' does (${route.operation}); use the model '${provider}/${stabilityEditModelId(wanted)}' for ${wanted}, so that its price and checks apply.`,
  );
}

/** One input image, a mask only where the operation takes one, both within the request limit. */
function checkImages(call: ProviderCall, provider: string, route: EditRoute, label: string) {
  const facts = STABILITY_EDIT_FACTS[route.operation];
  const images = call.images ?? [];
  if (images.length !== 1) {
    throw validationError('image', `'${label}' edits exactly one input image (got ${images.length}).`);
  }
  const image = images[0]!;
  const mask = call.mask;
  if (facts.mask === 'required' && !mask) {
    throw validationError(
      'mask',
      `'${label}' needs a mask: white (or, in OpenAI's convention, transparent) pixels mark the area to ${route.operation}.`,
    );
  }
  if (facts.mask === 'none' && mask) {
    throw validationError('mask', `'${label}' (${route.operation}) takes no mask; remove it.`);
  }
  if (mask && mask.convention !== 'luminance') {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${provider}: model '${label}' must declare the 'luminance' mask convention (Stability edits white pixels), not '${mask.convention}'.`,
      { provider },
    );
  }
  if (mask && (mask.width !== image.width || mask.height !== image.height)) {
    throw validationError(
      'mask',
      `The mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}; they must be the same size.`,
    );
  }
  const total = image.bytes.byteLength + (mask?.bytes.byteLength ?? 0);
  if (total > STABILITY_MAX_REQUEST_BYTES - 64 * 1024) {
    throw validationError(
      'image',
      `The image${mask ? ' and mask' : ''} take ${total} bytes; Stability refuses requests over 10 MiB, so send a smaller image.`,
    );
  }
  if (facts.limitedAspectRatio) checkAspectWindow(image, label);
  return { image, mask, facts };
}

/** outpaint and search-and-replace take inputs between 1:2.5 and 2.5:1. */
function checkAspectWindow(image: InputImage, label: string) {
  const ratio = image.width / image.height;
  if (ratio < 1 / 2.5 || ratio > 2.5) {
    throw validationError(
      'image',
      `'${label}' takes images with an aspect ratio between 1:2.5 and 2.5:1; this one is ${image.width}x${image.height}.`,
    );
  }
}

/** The prompt rule of the operation; a prompt an operation cannot take is reported, never dropped silently. */
function checkPrompt(
  call: ProviderCall,
  facts: StabilityEditOperationFacts,
  label: string,
): GenerationWarning[] {
  const prompt = call.prompt.trim();
  if (facts.prompt === 'required' && prompt === '') {
    throw validationError('prompt', `'${label}' needs a prompt describing what to draw.`);
  }
  if (facts.prompt === 'none' && prompt !== '') {
    return [
      {
        type: 'unsupported',
        param: 'prompt',
        message: `'${label}' takes no prompt; the prompt was not sent.`,
      },
    ];
  }
  return [];
}

/** The operation's own options: search_prompt, grow_mask range, outpaint directions. */
function checkOperationOptions(
  provider: string,
  route: EditRoute,
  options: StabilityImageOptions,
  label: string,
) {
  const facts = STABILITY_EDIT_FACTS[route.operation];
  const param = (name: string) => `provider_options.${provider}.${name}`;
  if (route.operation === 'search-and-replace' && options.search_prompt === undefined) {
    throw validationError(
      param('search_prompt'),
      `'${label}' needs ${param('search_prompt')}: a short description of what to replace (e.g. 'glasses').`,
    );
  }
  if (
    options.grow_mask !== undefined &&
    facts.maxGrowMask !== undefined &&
    options.grow_mask > facts.maxGrowMask
  ) {
    throw validationError(
      param('grow_mask'),
      `${param('grow_mask')} is at most ${facts.maxGrowMask} for ${route.operation} (got ${options.grow_mask}).`,
    );
  }
  if (route.operation === 'outpaint') {
    const total = (options.left ?? 0) + (options.right ?? 0) + (options.up ?? 0) + (options.down ?? 0);
    if (total === 0) {
      throw validationError(
        param('left'),
        `'${label}' needs at least one of ${param('left')}, right, up or down above 0 (pixels to add, at most 2000 each).`,
      );
    }
  }
}

/**
 * Checks one edit call for its endpoint and returns the image and mask to send, with the
 * warnings to report. `size` may only be `auto`: the output follows the input.
 */
export function checkEditCall(
  call: ProviderCall,
  provider: string,
  route: EditRoute,
  options: StabilityImageOptions,
): CheckedEdit {
  const label = `${provider}/${call.model.id}`;
  checkOperation(provider, route, options, label);
  if (call.size !== undefined && call.size !== 'auto') {
    throw validationError(
      'size',
      `'${label}' makes an image the size of its input; remove size (or send auto).`,
    );
  }
  const { image, mask, facts } = checkImages(call, provider, route, label);
  checkOperationOptions(provider, route, options, label);
  return { image, mask, facts, warnings: checkPrompt(call, facts, label) };
}

/**
 * Imagen editing on Vertex (`imagen-3.0-capability-001`): `:predict` with the input image as a
 * `REFERENCE_TYPE_RAW` reference and the mask as a `REFERENCE_TYPE_MASK` reference, plus
 * `parameters.editMode`. The answer is the same `predictions[]` as generation, read by the same
 * parser (filtering, safety attributes, usage). The shared reference names the model only; this
 * request shape follows Google's SDK samples and is UNCONFIRMED (see the README).
 */
import type { GenerationWarning, ProviderCall } from '@pixelgate/core/provider-utils';
import type { GoogleApi } from './google-model-data.ts';
import { readOptions, refuse, userWarning } from './google-shared.ts';
import type { GoogleImageOptions } from './imagen-options.ts';
import { commonImagenParameters, type ImagenPredictBody, refuseForImagenRoute } from './imagen-predict.ts';

/** Modes that edit inside a mask, so they need one (an image or an automatic `maskMode`). */
const MASKED_MODES = new Set([
  'EDIT_MODE_INPAINT_INSERTION',
  'EDIT_MODE_INPAINT_REMOVAL',
  'EDIT_MODE_BGSWAP',
]);

type InputImage = NonNullable<ProviderCall['images']>[number];

function inline(image: InputImage): Record<string, unknown> {
  return { bytesBase64Encoded: Buffer.from(image.bytes).toString('base64'), mimeType: image.mediaType };
}

/**
 * The mask reference: the caller's mask (already in the luminance convention, white = edit, the
 * image's size), or an automatic mask from `maskMode`, or none (mask-free editing).
 */
function maskReference(
  call: ProviderCall,
  options: GoogleImageOptions,
  providerId: string,
): Record<string, unknown> | undefined {
  const param = (name: string) => `provider_options.${providerId}.${name}`;
  const dilation = options.maskDilation === undefined ? {} : { dilation: options.maskDilation };
  const mask = call.mask;
  if (mask) {
    if (options.maskMode !== undefined && options.maskMode !== 'MASK_MODE_USER_PROVIDED') {
      refuse(
        param('maskMode'),
        `${options.maskMode} makes its own mask; send either it or a mask image, not both.`,
      );
    }
    if (mask.convention !== 'luminance') {
      refuse(
        'mask',
        `${call.model.id} reads masks in the luminance convention (white = edit), not ${mask.convention}.`,
      );
    }
    return {
      referenceType: 'REFERENCE_TYPE_MASK',
      referenceId: 2,
      referenceImage: inline(mask),
      maskImageConfig: { maskMode: 'MASK_MODE_USER_PROVIDED', ...dilation },
    };
  }
  if (options.maskMode === 'MASK_MODE_USER_PROVIDED') {
    refuse('mask', `${param('maskMode')} MASK_MODE_USER_PROVIDED needs a mask image.`);
  }
  if (options.maskMode === undefined) return undefined;
  return {
    referenceType: 'REFERENCE_TYPE_MASK',
    referenceId: 2,
    maskImageConfig: { maskMode: options.maskMode, ...dilation },
  };
}

/**
 * Builds the `:predict` body of one Imagen edit. One input image; the edit mode defaults to
 * inpainting (insertion) when there is a mask, to mask-free editing otherwise; a masked mode
 * without a mask is refused naming `mask`. The output follows the input's size, so no ratio or
 * size is sent.
 */
export function buildImagenEditBody(
  call: ProviderCall,
  api: GoogleApi,
  providerId: string,
): { body: ImagenPredictBody; warnings: GenerationWarning[] } {
  if (api !== 'vertex') {
    refuse('model', `${call.model.id} edits on Vertex AI only; configure the provider with api: 'vertex'.`);
  }
  const options = readOptions(call, providerId);
  refuseForImagenRoute(call, options, api, providerId);
  const images = call.images ?? [];
  if (images.length !== 1)
    refuse('image', `${call.model.id} edits exactly one input image (got ${images.length}).`);
  if (call.size !== undefined && call.size !== 'auto') {
    refuse('size', `${call.model.id} makes images the size of the input; remove size (or send auto).`);
  }
  const image = images[0]!;
  if (call.mask && (call.mask.width !== image.width || call.mask.height !== image.height)) {
    refuse(
      'mask',
      `The mask is ${call.mask.width}x${call.mask.height} but the image is ${image.width}x${image.height}; they must be the same size.`,
    );
  }
  const mask = maskReference(call, options, providerId);
  const editMode = options.editMode ?? (mask ? 'EDIT_MODE_INPAINT_INSERTION' : 'EDIT_MODE_DEFAULT');
  if (MASKED_MODES.has(editMode) && !mask) {
    refuse(
      'mask',
      `${editMode} edits inside a mask: send a mask (white = edit) or provider_options.${providerId}.maskMode.`,
    );
  }
  const referenceImages = [
    { referenceType: 'REFERENCE_TYPE_RAW', referenceId: 1, referenceImage: inline(image) },
    ...(mask ? [mask] : []),
  ];
  const parameters: Record<string, unknown> = {
    ...commonImagenParameters(call, options, api, providerId),
    editMode,
    ...(options.baseSteps === undefined ? {} : { editConfig: { baseSteps: options.baseSteps } }),
  };
  return {
    body: { instances: [{ prompt: call.prompt, referenceImages }], parameters },
    warnings: userWarning(call),
  };
}

import { validateCapabilities } from '../capabilities/validate-capabilities.ts';
import { validateOperation } from '../capabilities/validate-operation.ts';
import type { InputImageLimits, ModelDescriptor } from '../models/model-descriptor.ts';
import type { ImageProvider, ProviderCall, ProviderOperation } from '../provider/image-provider.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import type { DecodedInputImage } from '../request/input-image-source.ts';
import { maskPng } from './mask-png.ts';
import { solidPng } from './solid-png.ts';

/** What an operation call of the kit carries. */
export interface OperationCallOptions {
  /** Input images (edits; a variation always sends one). */
  images?: number;
  /** Send a mask in the model's convention (default: only when the model requires one). */
  mask?: boolean;
  /** Stream this many partial images. */
  partialImages?: number;
}

/** The model the registry makes of one of the provider's ids (defaults filled in). */
export function conformanceModel(provider: ImageProvider, modelId: string): ModelDescriptor {
  return new ModelRegistry({ providers: [provider] }).resolve(`${provider.id}/${modelId}`).model;
}

/** A square side every limit accepts (256 when it can be), for the kit's input images. */
export function conformanceInputSide(limits: InputImageLimits): number {
  let side = Math.max(256, limits.minSide ?? 1);
  if (limits.maxSide) side = Math.min(side, limits.maxSide);
  return Math.min(side, Math.floor(Math.sqrt(limits.maxPixels)));
}

/**
 * A call as the pipeline would hand it to the plugin: checked by the same capability and
 * operation checks, with real PNG input images (and a mask in the model's own convention, so no
 * conversion is needed). `n` is 1.
 */
export function prepareOperationCall(
  model: ModelDescriptor,
  operation: ProviderOperation,
  options: OperationCallOptions = {},
): ProviderCall {
  const limits =
    operation === 'variation' ? model.capabilities.variation?.input : model.capabilities.edit?.input;
  const side = limits ? conformanceInputSide(limits) : 256;
  const count = operation === 'variation' ? 1 : operation === 'edit' ? (options.images ?? 1) : 0;
  const images: DecodedInputImage[] = Array.from({ length: count }, (_, index) => ({
    field: count === 1 ? 'image' : `image[${index}]`,
    bytes: solidPng(side, side, [40 + index * 50, 120, 200]),
    declaredType: 'image/png',
  }));
  const convention = model.capabilities.edit?.mask?.convention ?? 'alpha';
  const withMask = options.mask ?? (operation === 'edit' && model.capabilities.edit?.mask?.required === true);
  const mask: DecodedInputImage | undefined = withMask
    ? { field: 'mask', bytes: maskPng(side, side, convention), declaredType: 'image/png' }
    : undefined;
  const prompt = operation === 'variation' ? '' : 'a lighthouse at dusk';
  const streaming = options.partialImages !== undefined;
  const request = {
    prompt,
    n: 1,
    mask_convention: convention,
    ...(streaming ? { stream: true, partial_images: options.partialImages } : {}),
  };
  const inputs = count > 0 ? { images, mask } : undefined;
  const checked = validateOperation(operation, request, inputs, model, 'strict', () => [model]);
  const { call } = validateCapabilities({ prompt, n: 1 }, model, 'strict');
  return { ...call, ...checked.call, providerOptions: {} };
}

import { createHash } from 'node:crypto';
import { drawTestImage, type ImageProvider, type ProviderCall } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { gatewayErrorOf, solidPng, testCallContext } from '@pixelgate/core/testing';

/**
 * Builds a ProviderCall the way core's capability check would: the model parsed from the
 * provider's catalog, the ratio's pixel size filled in. Test-only (excluded from the build).
 */
export function callFor(
  provider: ImageProvider,
  modelId: string,
  fields: Partial<Omit<ProviderCall, 'model'>> = {},
): ProviderCall {
  const input = provider.models.find((model) => model.id === modelId);
  if (!input) throw new Error(`${modelId} is not in the ${provider.id} catalog`);
  const model = modelDescriptorSchema.parse(input);
  const aspectRatio = fields.aspectRatio ?? model.defaults.aspectRatio ?? '1:1';
  return {
    model,
    prompt: 'a lighthouse at dusk',
    n: 1,
    aspectRatio,
    size: model.capabilities.aspectRatios[aspectRatio],
    operation: 'generate',
    providerOptions: {},
    ...fields,
  };
}

/** See `testCallContext` in @pixelgate/core/testing. */
export const contextFor = testCallContext;

/** See `gatewayErrorOf` in @pixelgate/core/testing. */
export const rejection = gatewayErrorOf;

type InputImage = NonNullable<ProviderCall['images']>[number];

/** An input image as the pipeline hands it over (checked bytes, size, hash, file name). */
export function inputImage(
  width: number,
  height: number,
  options: { format?: 'png' | 'jpeg'; bytes?: Uint8Array; index?: number; prompt?: string } = {},
): InputImage {
  const format = options.format ?? 'png';
  const bytes =
    options.bytes ??
    drawTestImage({ width, height, format, prompt: options.prompt ?? 'input', seed: options.index ?? 0 });
  return {
    bytes,
    mediaType: `image/${format}`,
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    filename: `image-${options.index ?? 0}.${format === 'jpeg' ? 'jpg' : format}`,
  };
}

/** A luminance mask (white = edit), as the pipeline converts it for Imagen. */
export function luminanceMask(width: number, height: number): NonNullable<ProviderCall['mask']> {
  return {
    ...inputImage(width, height, { bytes: solidPng(width, height, [255, 255, 255]) }),
    convention: 'luminance',
  };
}

/** An edit call as the core would hand it over: input images, no size unless given. */
export function editCallFor(
  provider: ImageProvider,
  modelId: string,
  fields: Partial<Omit<ProviderCall, 'model'>> = {},
): ProviderCall {
  const input = provider.models.find((model) => model.id === modelId);
  if (!input) throw new Error(`${modelId} is not in the ${provider.id} catalog`);
  return {
    model: modelDescriptorSchema.parse(input),
    operation: 'edit',
    prompt: 'put a hat on the cat',
    n: 1,
    images: [inputImage(320, 180)],
    providerOptions: {},
    ...fields,
  };
}

import { createHash } from 'node:crypto';
import { drawTestImage, type ImageProvider, type ProviderCall } from '@pixelgate/core/provider-utils';
import { type ModelDescriptor, modelDescriptorSchema } from '@pixelgate/core/spec';
import { gatewayErrorOf, solidPng, testCallContext } from '@pixelgate/core/testing';

/** The fake server's default key. */
export const TEST_KEY = 'sk-test-stability-fake-key';

/** Parses a model of a provider the way the registry does. */
export function modelOf(provider: ImageProvider, id: string): ModelDescriptor {
  const input = provider.models.find((model) => model.id === id);
  if (!input) throw new Error(`no model ${id}`);
  return modelDescriptorSchema.parse(input);
}

/** A validated call as the core would hand it over, with ratio models' size and ratio filled in. */
export function callFor(
  provider: ImageProvider,
  id: string,
  overrides: Partial<ProviderCall> = {},
): ProviderCall {
  const model = modelOf(provider, id);
  const ratio = model.defaults.aspectRatio;
  return {
    model,
    prompt: 'a lighthouse at dusk',
    n: 1,
    ...(ratio ? { aspectRatio: ratio, size: model.capabilities.aspectRatios[ratio] } : {}),
    ...(model.defaults.size ? { size: model.defaults.size } : {}),
    outputFormat: model.defaults.outputFormat ?? 'png',
    operation: 'generate',
    providerOptions: {},
    ...overrides,
  };
}

/** See `testCallContext` in @pixelgate/core/testing. */
export const contextFor = testCallContext;

/** See `gatewayErrorOf` in @pixelgate/core/testing. */
export const failureOf = gatewayErrorOf;

type InputImage = NonNullable<ProviderCall['images']>[number];

/** An input image as the pipeline hands it over (checked bytes, size, hash, file name). */
export function inputImage(
  width: number,
  height: number,
  options: { format?: 'png' | 'jpeg' | 'webp'; bytes?: Uint8Array; index?: number } = {},
): InputImage {
  const format = options.format ?? 'png';
  const bytes = options.bytes ?? drawTestImage({ width, height, format, prompt: 'input', seed: 7 });
  return {
    bytes,
    mediaType: `image/${format}`,
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    filename: `image-${options.index ?? 0}.${format === 'jpeg' ? 'jpg' : format}`,
  };
}

/** A luminance mask (white = edit) of the given size, as the pipeline converts it. */
export function luminanceMask(width: number, height: number): NonNullable<ProviderCall['mask']> {
  const bytes = solidPng(width, height, [255, 255, 255]);
  return {
    ...inputImage(width, height, { bytes }),
    filename: 'mask.png',
    convention: 'luminance',
  };
}

/** An edit call as the core would hand it over: one input image, size `auto`, the model's default format. */
export function editCallFor(
  provider: ImageProvider,
  id: string,
  overrides: Partial<ProviderCall> = {},
): ProviderCall {
  const model = modelOf(provider, id);
  return {
    model,
    operation: 'edit',
    prompt: 'a red kite in the sky',
    n: 1,
    size: 'auto',
    outputFormat: model.defaults.outputFormat ?? 'png',
    images: [inputImage(256, 192)],
    providerOptions: {},
    ...overrides,
  };
}

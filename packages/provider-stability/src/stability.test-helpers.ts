import type { ImageProvider, ProviderCall } from '@pixelgate/core/provider-utils';
import { type ModelDescriptor, modelDescriptorSchema } from '@pixelgate/core/spec';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';

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

import type { ImageProvider, ProviderCall } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';

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

import type { GatewayError, ImageProvider, ProviderCall } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';
import { expect } from 'vitest';

/**
 * Builds the call the pipeline would hand the plugin: the model parsed from the provider's own
 * catalog, its defaults filled in, then the overrides. Tests control every field the plugin sees.
 */
export function callFor(
  provider: ImageProvider,
  modelId: string,
  overrides: Partial<ProviderCall> = {},
): ProviderCall {
  const input = provider.models.find((model) => model.id === modelId);
  if (!input) throw new Error(`no model ${modelId} in ${provider.id}`);
  const model = modelDescriptorSchema.parse(input);
  return {
    model,
    prompt: 'a red lighthouse on a cliff at dusk',
    n: 1,
    ...(model.defaults.size ? { size: model.defaults.size } : {}),
    ...(model.defaults.quality ? { quality: model.defaults.quality } : {}),
    ...(model.defaults.style ? { style: model.defaults.style } : {}),
    ...(model.defaults.outputFormat ? { outputFormat: model.defaults.outputFormat } : {}),
    operation: 'generate',
    providerOptions: {},
    ...overrides,
  };
}

/** See `testCallContext` in @pixelgate/core/testing. */
export const contextFor = testCallContext;

/** See `gatewayErrorOf` in @pixelgate/core/testing. */
export const rejection = gatewayErrorOf;

/** Asserts a secret appears nowhere in an error: message, JSON view, details or cause chain text. */
export function expectNoSecret(error: unknown, secret: string): void {
  const gatewayError = error as GatewayError;
  expect(gatewayError.message).not.toContain(secret);
  expect(JSON.stringify(gatewayError.toJSON())).not.toContain(secret);
  expect(String(gatewayError.stack)).not.toContain(secret);
  // Visible fragments of a masked key are parts of the key too.
  expect(gatewayError.message).not.toContain(secret.slice(-4));
}

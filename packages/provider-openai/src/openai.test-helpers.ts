import {
  GatewayError,
  type ImageProvider,
  modelDescriptorSchema,
  type ProviderCall,
  type ProviderCallContext,
  silentLogger,
} from '@pixelgate/core';
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
    providerOptions: {},
    ...overrides,
  };
}

/** A call context with a fresh signal unless one is given. */
export function contextFor(overrides: Partial<ProviderCallContext> = {}): ProviderCallContext {
  return {
    signal: new AbortController().signal,
    requestId: 'req_test',
    callIndex: 0,
    attempt: 0,
    logger: silentLogger,
    ...overrides,
  };
}

/** Awaits a promise that must reject with a GatewayError and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<GatewayError & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the promise should have rejected').toBeDefined();
  expect(GatewayError.isInstance(error), `expected a GatewayError, got ${String(error)}`).toBe(true);
  return error as GatewayError & Record<string, unknown>;
}

/** Asserts a secret appears nowhere in an error: message, JSON view, details or cause chain text. */
export function expectNoSecret(error: unknown, secret: string): void {
  const gatewayError = error as GatewayError;
  expect(gatewayError.message).not.toContain(secret);
  expect(JSON.stringify(gatewayError.toJSON())).not.toContain(secret);
  expect(String(gatewayError.stack)).not.toContain(secret);
  // Visible fragments of a masked key are parts of the key too.
  expect(gatewayError.message).not.toContain(secret.slice(-4));
}

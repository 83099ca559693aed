import {
  GatewayError,
  type ImageProvider,
  type ModelDescriptor,
  modelDescriptorSchema,
  type ProviderCall,
  type ProviderCallContext,
  silentLogger,
} from '@pixelgate/core';

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

/** Awaits a promise that must fail and returns its GatewayError (fails the test otherwise). */
export async function failureOf(promise: Promise<unknown>): Promise<GatewayError & Record<string, unknown>> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error('expected the call to fail, but it succeeded');
  if (!GatewayError.isInstance(outcome.error))
    throw new Error(`expected a GatewayError, got ${String(outcome.error)}`);
  return outcome.error as GatewayError & Record<string, unknown>;
}

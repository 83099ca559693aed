import {
  type ImageProvider,
  modelDescriptorSchema,
  type ProviderCall,
  type ProviderCallContext,
  silentLogger,
} from '@pixelgate/core';

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
    providerOptions: {},
    ...fields,
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

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error('expected the call to fail, but it succeeded');
  return outcome.error as Error & Record<string, unknown>;
}

import { GatewayError } from '../errors/gateway-error.ts';
import type { ProviderCallContext } from '../provider/image-provider.ts';
import { silentLogger } from '../provider/logger.ts';

/**
 * The context the pipeline would hand a plugin for the first attempt of the first call, with a
 * fresh signal unless one is given. Plugin tests call `generate` directly with it.
 */
export function testCallContext(overrides: Partial<ProviderCallContext> = {}): ProviderCallContext {
  return {
    signal: new AbortController().signal,
    requestId: 'req_test',
    callIndex: 0,
    attempt: 0,
    logger: silentLogger,
    ...overrides,
  };
}

/**
 * The GatewayError a promise rejects with. Throws (failing the test) when the promise resolves
 * or rejects with anything else, so a plugin leaking a raw fetch error cannot pass.
 */
export async function gatewayErrorOf(
  promise: Promise<unknown>,
): Promise<GatewayError & Record<string, unknown>> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error('expected the call to fail, but it succeeded');
  if (!GatewayError.isInstance(outcome.error))
    throw new Error(`expected a GatewayError, got ${String(outcome.error)}`);
  return outcome.error as GatewayError & Record<string, unknown>;
}

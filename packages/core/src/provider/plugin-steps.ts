import { BackendError, GatewayError } from '../errors/gateway-error.ts';
import { abortErrorFrom, throwIfAborted } from '../shared/abort.ts';
import type { ProviderCallContext, ProviderResult } from './image-provider.ts';

/**
 * Waits `ms` between two steps of a plugin (a poll interval, a paced preview), or rejects with
 * ABORTED/TIMEOUT as soon as the signal fires, leaving no timer or listener behind.
 */
export function waitOrAbort(ms: number, signal: AbortSignal, provider: string): Promise<void> {
  if (signal.aborted) return Promise.reject(abortErrorFrom(signal, provider));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal, provider));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs one provider call of a plugin: refuses to start once aborted, passes GatewayErrors through,
 * and turns anything unexpected into `malformed_response` without its message, which could quote
 * an upstream body.
 */
export async function guardedProviderStep(
  provider: string,
  context: Pick<ProviderCallContext, 'signal'>,
  step: () => Promise<ProviderResult>,
): Promise<ProviderResult> {
  throwIfAborted(context.signal, provider);
  try {
    return await step();
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    throw new BackendError(`${provider}: the answer could not be processed.`, {
      reason: 'malformed_response',
      provider,
      cause: error,
    });
  }
}

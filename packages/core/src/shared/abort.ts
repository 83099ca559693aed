import { GatewayError } from '../errors/gateway-error.ts';

/**
 * The error to throw when a signal fired: TIMEOUT when the deadline passed (the signal's reason
 * is a `TimeoutError`), ABORTED when the caller cancelled.
 */
export function abortErrorFrom(signal: AbortSignal, provider?: string): GatewayError {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === 'TimeoutError') {
    return new GatewayError('TIMEOUT', 'The request did not finish before its deadline.', {
      ...(provider ? { provider } : {}),
      cause: signal.reason,
    });
  }
  return new GatewayError('ABORTED', 'The request was aborted by the caller.', {
    ...(provider ? { provider } : {}),
    cause: signal.reason,
  });
}

/** Throws the matching TIMEOUT or ABORTED error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, provider?: string): void {
  if (signal?.aborted) throw abortErrorFrom(signal, provider);
}

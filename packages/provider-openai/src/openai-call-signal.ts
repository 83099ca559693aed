import { abortErrorFrom, BackendError, GatewayError } from '@pixelgate/core/provider-utils';

/** A signal for one upstream exchange, with its own timeout on top of the caller's signal. */
export interface CallSignal {
  signal: AbortSignal;
  /** Whether our own timeout fired (not the caller's abort or deadline). */
  timedOut: () => boolean;
  dispose: () => void;
}

/**
 * A signal that fires on the caller's signal or after `ms`, and tells which one fired: a caller
 * abort or the gateway deadline stays ABORTED/TIMEOUT, our own timeout is an upstream timeout
 * (BackendError `timeout`, retryable). The timer is held here and cleared by `dispose`.
 */
export function callSignal(parent: AbortSignal, ms: number): CallSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('upstream timeout', 'TimeoutError')), ms);
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => controller.signal.aborted && !parent.aborted,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/** Turns an abort-shaped failure into what actually happened: caller abort, deadline, or our timeout. */
export function translateAbort(
  error: unknown,
  parent: AbortSignal,
  timedOut: boolean,
  provider: string,
  what: string,
  ms: number,
): unknown {
  const isAbortish = !GatewayError.isInstance(error) || error.code === 'TIMEOUT' || error.code === 'ABORTED';
  if (!isAbortish) return error;
  if (parent.aborted) return abortErrorFrom(parent, provider);
  if (timedOut) {
    return new BackendError(`${provider} did not ${what} within ${ms} ms.`, { reason: 'timeout', provider });
  }
  return error;
}

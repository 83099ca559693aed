/**
 * One request's deadline and cancellation: one AbortController and one timer, both held by the
 * request (strongly, for its whole life) and released by `clear()` in the runner's `finally`.
 *
 * Why not `AbortSignal.any([callerSignal, AbortSignal.timeout(ms)])`: nothing would hold the
 * timeout signal but the composite, and on Node 20 a composite whose timeout signal was garbage
 * collected never aborts, so under load some requests outlived their deadline.
 */
export interface RequestDeadline {
  /** Fires with a `TimeoutError` at the deadline, or with the caller's reason on the caller's abort. */
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the caller's signal. Idempotent. */
  clear(): void;
}

/** Starts the deadline of a request that must finish within `timeoutMs`. */
export function startDeadline(timeoutMs: number, callerSignal?: AbortSignal): RequestDeadline {
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(callerSignal!.reason);
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The request did not finish before its deadline.', 'TimeoutError'));
  }, timeoutMs);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

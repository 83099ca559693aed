import { throwIfAborted, waitOrAbort } from '@pixelgate/core/provider-utils';

/** Spreads a call's artificial latency over its steps. */
export interface Pacer {
  /** Waits one step (or only checks the signal when there is no latency). */
  step(): Promise<void>;
}

/**
 * The artificial latency of one call (`latencyMs`), cut into `steps` equal pauses: one before the
 * work starts and one after each partial image, so a streamed call takes as long in total as an
 * unstreamed one while its previews arrive spaced out, as they do from a real model. Every pause
 * stops at once when the call is aborted.
 */
export function createPacer(latencyMs: number, steps: number, signal: AbortSignal, provider: string): Pacer {
  const pause = latencyMs > 0 ? latencyMs / Math.max(1, steps) : 0;
  return {
    step: () => {
      if (pause === 0) {
        throwIfAborted(signal, provider);
        return Promise.resolve();
      }
      return waitOrAbort(pause, signal, provider);
    },
  };
}

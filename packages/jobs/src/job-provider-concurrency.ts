import type { GatewayMiddleware } from '@pixelgate/core';
import { abortErrorFrom } from '@pixelgate/core/provider-utils';
import { isJobRequest } from './job-resume.ts';

/** A first-in, first-out limit on calls running at once; a waiter that is aborted leaves the line. */
class CallLimit {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Waits for a free place (or rejects on `signal`), runs `work`, and frees the place after it. */
  async run<T>(signal: AbortSignal, provider: string, work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await this.#wait(signal, provider);
    this.#running += 1;
    try {
      return await work();
    } finally {
      this.#running -= 1;
      this.#waiting.shift()?.();
    }
  }

  #wait(signal: AbortSignal, provider: string): Promise<void> {
    if (signal.aborted) return Promise.reject(abortErrorFrom(signal, provider));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(wake);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(abortErrorFrom(signal, provider));
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Limits how many provider calls of jobs run at once in this process, per provider id
 * (`{ bfl: 2 }`), so a worker with many job slots does not exceed a provider's own concurrency
 * quota. Calls of synchronous requests pass untouched; a job's call waits its turn in order, and
 * an abort (cancel, deadline) while waiting ends it as ABORTED or TIMEOUT without calling.
 */
export function jobProviderConcurrency(limits: Readonly<Record<string, number>>): GatewayMiddleware {
  const byProvider = new Map(Object.entries(limits).map(([provider, max]) => [provider, new CallLimit(max)]));
  return {
    name: 'job-provider-concurrency',
    wrapProviderCall(invocation, next) {
      const limit = byProvider.get(invocation.provider.id);
      if (!limit || !isJobRequest(invocation.context.requestId)) return next();
      return limit.run(invocation.context.signal, invocation.provider.id, next);
    },
  };
}

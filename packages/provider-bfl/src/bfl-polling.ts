/**
 * Polls a submitted BFL task until it is `Ready` or ends otherwise. The wait between polls gives
 * up at once on the caller's abort or the request deadline; transient poll failures (429, 5xx,
 * a dropped connection) are waited out rather than failing the request, because the task is
 * already submitted and paid for and a new submission would pay twice.
 */
import {
  BackendError,
  type FetchFunction,
  parseRetryAfter,
  providerFetch,
  readBodyBytes,
  readJsonBody,
  waitOrAbort,
} from '@pixelgate/core/provider-utils';
import { BFL_PENDING_STATUSES, bflPollResponseSchema } from './bfl-api.ts';
import { bflStatusError, mapBflError } from './bfl-error.ts';

/** Settings of one polling loop. */
export interface BflPollOptions {
  provider: string;
  fetch: FetchFunction | undefined;
  signal: AbortSignal;
  /** The checked polling URL (already on the allow list). */
  url: URL;
  /** Headers for BFL hosts (the key travels here and only here). */
  headers: Record<string, string>;
  taskId: string;
  /** Wait between polls. */
  intervalMs: number;
  /** Give up after this long even if the deadline is further away. */
  maxPollMs: number;
  /** Transient failures in a row tolerated before giving up. */
  maxTransientFailures: number;
  secrets: ReadonlyArray<string | undefined>;
  maxResponseBytes: number;
}

/** What a `Ready` task yields. */
export interface BflReadyResult {
  sample: string;
  seed?: number;
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

async function pollOnce(
  options: BflPollOptions,
): Promise<{ ready?: BflReadyResult; waitMs?: number; failure?: BackendError }> {
  const { provider } = options;
  let response: Response;
  try {
    response = await providerFetch(
      options.url,
      { method: 'GET', headers: options.headers },
      {
        provider,
        fetch: options.fetch,
        signal: options.signal,
        secrets: options.secrets,
      },
    );
  } catch (error) {
    if (BackendError.isBackendError(error) && error.reason === 'upstream_unavailable')
      return { failure: error };
    throw error;
  }
  if (!response.ok) {
    const bytes = await readBodyBytes(response, {
      provider,
      maxBytes: 64 * 1024,
      signal: options.signal,
    }).catch(() => new Uint8Array(0));
    const error = mapBflError({
      provider,
      status: response.status,
      headers: response.headers,
      bodyText: new TextDecoder().decode(bytes),
      secrets: options.secrets,
    });
    if (!TRANSIENT_STATUSES.has(response.status)) throw error;
    return {
      failure: error,
      ...(parseRetryAfter(response.headers) === undefined
        ? {}
        : { waitMs: parseRetryAfter(response.headers)! }),
    };
  }
  const parsed = bflPollResponseSchema.safeParse(
    await readJsonBody(response, { provider, maxBytes: options.maxResponseBytes, signal: options.signal }),
  );
  if (!parsed.success) {
    throw new BackendError(`${provider}: a poll answer has no status.`, {
      reason: 'malformed_response',
      provider,
      upstreamRequestId: options.taskId,
    });
  }
  const { status, result } = parsed.data;
  if (status === 'Ready') {
    if (!result?.sample) {
      throw new BackendError(`${provider}: the task is Ready but the reply has no result.sample.`, {
        reason: 'malformed_response',
        provider,
        upstreamRequestId: options.taskId,
      });
    }
    return { ready: { sample: result.sample, ...(result.seed == null ? {} : { seed: result.seed }) } };
  }
  if ((BFL_PENDING_STATUSES as readonly string[]).includes(status)) return {};
  // Moderated, Error, Task not found, or a status nobody documented: all end the task.
  throw bflStatusError(provider, status, options.taskId);
}

/**
 * Polls until `Ready`. Moderated statuses throw `content_filtered`; `Error` and `Task not found`
 * throw `upstream_unavailable`; an unknown status is `malformed_response`; running past
 * `maxPollMs` is `timeout`; the caller's abort and the deadline are ABORTED and TIMEOUT.
 */
export async function pollUntilReady(options: BflPollOptions): Promise<BflReadyResult> {
  const started = Date.now();
  let failures = 0;
  let waitMs = options.intervalMs;
  for (;;) {
    await waitOrAbort(waitMs, options.signal, options.provider);
    const outcome = await pollOnce(options);
    if (outcome.ready) return outcome.ready;
    if (outcome.failure) {
      failures += 1;
      if (failures > options.maxTransientFailures) throw outcome.failure;
    } else {
      failures = 0;
    }
    waitMs = Math.max(options.intervalMs, outcome.waitMs ?? 0);
    if (Date.now() - started + waitMs > options.maxPollMs) {
      throw new BackendError(
        `${options.provider}: the task was not ready within ${options.maxPollMs} ms of polling (maxPollMs).`,
        { reason: 'timeout', provider: options.provider, upstreamRequestId: options.taskId },
      );
    }
  }
}

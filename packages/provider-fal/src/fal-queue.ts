/**
 * The fal queue protocol: submit, poll `status_url` until `COMPLETED`, fetch `response_url`, and
 * `PUT cancel_url` when the caller gives up. The URLs come from fal's reply, so each is checked
 * against the queue host allow list before the key is sent to it. Transient poll failures (429,
 * 5xx, a dropped connection) are waited out: the request is queued and paid for, and a new
 * submission would pay twice.
 */
import {
  BackendError,
  checkedUrl,
  type FetchFunction,
  parseRetryAfter,
  providerFetch,
  readBodyBytes,
  readJsonBody,
  waitOrAbort,
} from '@pixelgate/core/provider-utils';
import { falStatusResponseSchema, falSubmitResponseSchema } from './fal-api.ts';
import { mapFalError } from './fal-error.ts';

/** Settings of one queued run. */
export interface FalQueueOptions {
  provider: string;
  fetch: FetchFunction | undefined;
  signal: AbortSignal;
  /** `https://queue.fal.run/{model}`. */
  submitUrl: string;
  /** Headers for fal's API hosts (the key travels here and only here). */
  headers: Record<string, string>;
  /** Hosts `status_url`, `response_url` and `cancel_url` may point to. */
  queueHosts: readonly string[];
  allowHttp: boolean;
  intervalMs: number;
  maxPollMs: number;
  maxTransientFailures: number;
  /** Longest the cancel request may take (it runs after the caller has gone). */
  cancelTimeoutMs: number;
  secrets: ReadonlyArray<string | undefined>;
  /** Told the queued request's id and URLs as soon as fal accepted it (a job keeps them to resume). */
  onQueued?: (queued: QueuedRequest) => void;
}

/** A request fal's queue accepted: its id and the checked URLs to poll, fetch and cancel it. */
export interface QueuedRequest {
  requestId: string;
  statusUrl: URL;
  responseUrl: URL;
  cancelUrl: URL | undefined;
}

/** Reads a failed answer into a BackendError, never failing itself on a broken body. */
export async function errorFrom(
  response: Response,
  options: Pick<FalQueueOptions, 'provider' | 'signal' | 'secrets'>,
): Promise<BackendError> {
  const bytes = await readBodyBytes(response, {
    provider: options.provider,
    maxBytes: 256 * 1024,
    signal: options.signal,
  }).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
    return new Uint8Array(0);
  });
  return mapFalError({
    provider: options.provider,
    status: response.status,
    headers: response.headers,
    bodyText: new TextDecoder().decode(bytes),
    secrets: options.secrets,
  });
}

async function submit(options: FalQueueOptions, body: Record<string, unknown>) {
  const response = await providerFetch(
    options.submitUrl,
    {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    { provider: options.provider, fetch: options.fetch, signal: options.signal, secrets: options.secrets },
  );
  if (!response.ok) throw await errorFrom(response, options);
  const parsed = falSubmitResponseSchema.safeParse(
    await readJsonBody(response, {
      provider: options.provider,
      maxBytes: 1024 * 1024,
      signal: options.signal,
    }),
  );
  if (!parsed.success) {
    throw new BackendError(
      `${options.provider}: the queue answer has no request_id, status_url and response_url.`,
      { reason: 'malformed_response', provider: options.provider, upstreamStatus: response.status },
    );
  }
  const check = (text: string, what: string) =>
    checkedUrl(text, {
      provider: options.provider,
      hosts: options.queueHosts,
      allowHttp: options.allowHttp,
      what,
    });
  return {
    requestId: parsed.data.request_id,
    statusUrl: check(parsed.data.status_url, 'status_url'),
    responseUrl: check(parsed.data.response_url, 'response_url'),
    cancelUrl: parsed.data.cancel_url ? check(parsed.data.cancel_url, 'cancel_url') : undefined,
  };
}

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

/** One poll: 'done', 'waiting', or a transient failure with an optional wait hint. */
async function pollOnce(
  options: FalQueueOptions,
  url: URL,
  requestId: string,
): Promise<{ done: boolean; failure?: BackendError; waitMs?: number }> {
  let response: Response;
  try {
    response = await providerFetch(
      url,
      { method: 'GET', headers: options.headers },
      { provider: options.provider, fetch: options.fetch, signal: options.signal, secrets: options.secrets },
    );
  } catch (error) {
    if (BackendError.isBackendError(error) && error.reason === 'upstream_unavailable')
      return { done: false, failure: error };
    throw error;
  }
  if (!response.ok) {
    const failure = await errorFrom(response, options);
    if (!TRANSIENT.has(response.status)) throw failure;
    const hint = parseRetryAfter(response.headers);
    return { done: false, failure, ...(hint === undefined ? {} : { waitMs: hint }) };
  }
  const parsed = falStatusResponseSchema.safeParse(
    await readJsonBody(response, {
      provider: options.provider,
      maxBytes: 1024 * 1024,
      signal: options.signal,
    }),
  );
  if (!parsed.success)
    throw new BackendError(`${options.provider}: a status answer has no status.`, {
      reason: 'malformed_response',
      provider: options.provider,
      upstreamRequestId: requestId,
    });
  const { status } = parsed.data;
  if (status === 'COMPLETED') return { done: true };
  if (status === 'IN_QUEUE' || status === 'IN_PROGRESS') return { done: false };
  throw new BackendError(
    `${options.provider}: the queue answered with an unknown status '${status.slice(0, 40)}'.`,
    {
      reason: 'malformed_response',
      provider: options.provider,
      upstreamRequestId: requestId,
      upstreamCode: status.slice(0, 40),
    },
  );
}

/** Asks fal to drop the request; best effort, bounded, and never throws. */
function cancel(options: FalQueueOptions, url: URL | undefined): void {
  if (!url) return;
  providerFetch(
    url,
    { method: 'PUT', headers: options.headers },
    {
      provider: options.provider,
      fetch: options.fetch,
      signal: AbortSignal.timeout(options.cancelTimeoutMs),
      secrets: options.secrets,
    },
  )
    .then((response) => response.body?.cancel())
    .catch(() => {});
}

async function pollUntilCompleted(
  options: FalQueueOptions,
  statusUrl: URL,
  requestId: string,
): Promise<void> {
  const started = Date.now();
  let failures = 0;
  let waitMs = options.intervalMs;
  for (;;) {
    await waitOrAbort(waitMs, options.signal, options.provider);
    const outcome = await pollOnce(options, statusUrl, requestId);
    if (outcome.done) return;
    failures = outcome.failure ? failures + 1 : 0;
    if (outcome.failure && failures > options.maxTransientFailures) throw outcome.failure;
    waitMs = Math.max(options.intervalMs, outcome.waitMs ?? 0);
    if (Date.now() - started + waitMs > options.maxPollMs) {
      throw new BackendError(
        `${options.provider}: the request was not completed within ${options.maxPollMs} ms of polling (maxPollMs).`,
        { reason: 'timeout', provider: options.provider, upstreamRequestId: requestId },
      );
    }
  }
}

/**
 * Runs one request through the queue and returns the model's output JSON (unparsed) and the
 * request id. On abort, deadline or polling timeout the request is cancelled upstream.
 */
export async function runQueued(
  options: FalQueueOptions,
  body: Record<string, unknown>,
): Promise<{ output: unknown; requestId: string }> {
  const queued = await submit(options, body);
  options.onQueued?.(queued);
  return finishQueued(options, queued);
}

/**
 * Finishes a request queued earlier (by a process that may have died) from its saved id and URLs,
 * which are checked against the queue hosts again before the key is sent there.
 */
export function resumeQueued(
  options: FalQueueOptions,
  saved: { requestId: string; statusUrl: string; responseUrl: string; cancelUrl?: string | undefined },
): Promise<{ output: unknown; requestId: string }> {
  const check = (text: string, what: string) =>
    checkedUrl(text, {
      provider: options.provider,
      hosts: options.queueHosts,
      allowHttp: options.allowHttp,
      what,
    });
  return finishQueued(options, {
    requestId: saved.requestId,
    statusUrl: check(saved.statusUrl, 'status_url'),
    responseUrl: check(saved.responseUrl, 'response_url'),
    cancelUrl: saved.cancelUrl ? check(saved.cancelUrl, 'cancel_url') : undefined,
  });
}

/** Polls a queued request to completion and reads its output; cancels it upstream on abort or timeout. */
async function finishQueued(
  options: FalQueueOptions,
  queued: QueuedRequest,
): Promise<{ output: unknown; requestId: string }> {
  try {
    await pollUntilCompleted(options, queued.statusUrl, queued.requestId);
    const response = await providerFetch(
      queued.responseUrl,
      { method: 'GET', headers: options.headers },
      { provider: options.provider, fetch: options.fetch, signal: options.signal, secrets: options.secrets },
    );
    if (!response.ok) throw await errorFrom(response, options);
    return {
      output: await readJsonBody(response, {
        provider: options.provider,
        maxBytes: 16 * 1024 * 1024,
        signal: options.signal,
      }),
      requestId: queued.requestId,
    };
  } catch (error) {
    const gaveUp =
      options.signal.aborted || (BackendError.isBackendError(error) && error.reason === 'timeout');
    if (gaveUp) cancel(options, queued.cancelUrl);
    throw error;
  }
}

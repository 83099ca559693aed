import { DelegateBackoff, handleWhen, retry } from 'cockatiel';
import { BackendError, GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { ModelDescriptor } from '../models/model-descriptor.ts';
import type { ImageUsage } from '../models/pricing.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderImage,
  ProviderPartialImage,
  ProviderResult,
} from '../provider/image-provider.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import type { Logger } from '../shared/logger.ts';

/** How provider calls are retried. Only failures marked retryable are (never a safety refusal). */
export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  maxRetries: number;
  /** First backoff delay in ms (default 500), doubled each retry, with jitter. */
  initialDelayMs: number;
  /** Longest backoff delay in ms (default 10 000). */
  maxDelayMs: number;
  /** A provider asking to wait longer than this (Retry-After) is not retried (default 60 000). */
  maxRetryAfterMs: number;
}

/** What to do when some of a request's split calls fail. */
export type PartialFailurePolicy = 'fail' | 'return_partial';

/** Settings of one dispatch. */
export interface DispatchOptions {
  provider: ImageProvider;
  call: ProviderCall;
  /**
   * Makes one provider call (default `provider.generate`); the pipeline passes the call wrapped in
   * the configured middleware.
   */
  invoke?: (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult>;
  retry: RetryOptions;
  /** Split calls in flight at once. */
  concurrency: number;
  partialFailure: PartialFailurePolicy;
  signal: AbortSignal;
  /** Epoch ms after which no retry is started. */
  deadlineAt: number;
  now: () => number;
  requestId: string;
  credentials?: Readonly<Record<string, string>>;
  logger: Logger;
  random?: () => number;
  onCallStart?(event: { callIndex: number; attempt: number; n: number }): void;
  onCallEnd?(event: {
    callIndex: number;
    attempt: number;
    durationMs: number;
    images: number;
    error?: GatewayError;
  }): void;
  onRetry?(event: { callIndex: number; attempt: number; delayMs: number; error: GatewayError }): void;
  /**
   * Streaming (`call.partialImages` set): each partial image a call reports, with `imageIndex`
   * counted across the request's split calls (the second call's first image follows the first
   * call's last).
   */
  onPartialImage?(partial: ProviderPartialImage): void;
}

/** The merged outcome of every split call. */
export interface DispatchResult {
  images: ProviderImage[];
  filteredCount: number;
  labels: string[];
  usage?: ImageUsage;
  costUsd?: number;
  warnings: GenerationWarning[];
  upstreamRequestIds: string[];
  /** Images asked for but not produced (failed calls under `return_partial`). */
  missing: number;
  /** The first failure, when some calls failed. */
  firstError?: GatewayError;
}

/** Splits `n` into call sizes of at most `perCall` (10 with 4 per call gives 4, 4, 2). */
export function splitImages(n: number, perCall: number): number[] {
  const sizes: number[] = [];
  for (let left = n; left > 0; left -= perCall) sizes.push(Math.min(perCall, left));
  return sizes;
}

function isRetryable(error: unknown, options: DispatchOptions): boolean {
  if (!GatewayError.isInstance(error) || !error.retryable) return false;
  if (BackendError.isBackendError(error) && error.reason === 'content_filtered') return false;
  if (options.signal.aborted) return false;
  // A hint at or above the cap fails fast, carrying the hint to the caller: waiting the cap out
  // would hold the request for the longest wait allowed (issue 20.6).
  const wait = error.retryAfterMs ?? 0;
  if (wait > 0 && wait >= options.retry.maxRetryAfterMs) return false;
  return options.now() + wait < options.deadlineAt;
}

function addUsage(total: ImageUsage | undefined, add: ImageUsage | undefined): ImageUsage | undefined {
  if (!add) return total;
  const result: ImageUsage = { ...total };
  for (const key of Object.keys(add) as Array<keyof ImageUsage>) {
    const value = add[key];
    if (value !== undefined) result[key] = (result[key] ?? 0) + value;
  }
  return result;
}

/** Runs tasks with at most `limit` in flight, keeping results in input order. */
async function mapWithConcurrency<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index]!, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The split calls' outcomes merged into one result, in call order. */
function mergeResults(
  settled: PromiseSettledResult<ProviderResult>[],
  sizes: number[],
  firstFailure: GatewayError | undefined,
): DispatchResult {
  const result: DispatchResult = {
    images: [],
    filteredCount: 0,
    labels: [],
    warnings: [],
    upstreamRequestIds: [],
    missing: 0,
  };
  const labels = new Set<string>();
  let costKnown = true;
  let cost = 0;
  settled.forEach((outcome, index) => {
    if (outcome.status === 'rejected') {
      result.missing += sizes[index]!;
      result.firstError ??= firstFailure ?? toGatewayError(outcome.reason);
      return;
    }
    const value = outcome.value;
    result.images.push(...value.images);
    result.filteredCount += value.filteredCount ?? 0;
    for (const label of value.labels ?? []) labels.add(label);
    for (const image of value.images) for (const label of image.labels ?? []) labels.add(label);
    const usage = addUsage(result.usage, value.usage);
    if (usage) result.usage = usage;
    if (value.costUsd === undefined) costKnown = false;
    else cost += value.costUsd;
    result.warnings.push(...(value.warnings ?? []));
    if (value.response?.upstreamRequestId) result.upstreamRequestIds.push(value.response.upstreamRequestId);
  });
  if (costKnown && settled.some((s) => s.status === 'fulfilled')) result.costUsd = cost;
  result.labels = [...labels].sort();
  return result;
}

/** Forwards a call's partial images with their index within the whole request. */
function partialImageForwarder(
  forward: (partial: ProviderPartialImage) => void,
  imageOffset: number,
): (partial: ProviderPartialImage) => void {
  return (partial) => forward({ ...partial, imageIndex: imageOffset + partial.imageIndex });
}

/**
 * Sends one request's images to a provider: `n` split into calls of at most the model's
 * `maxImagesPerCall`, at most `concurrency` in flight, each retried only when its failure is
 * retryable (429, connection failures, 5xx; never a content refusal), with exponential backoff and
 * jitter that yields to the provider's Retry-After. The signal (caller abort and deadline) reaches
 * every call and every backoff wait. Split calls get consecutive seeds so images differ but stay
 * reproducible.
 */
export async function dispatchImages(options: DispatchOptions): Promise<DispatchResult> {
  const model: ModelDescriptor = options.call.model;
  const sizes = splitImages(options.call.n, model.capabilities.maxImagesPerCall);
  const random = options.random ?? Math.random;
  const seedOffsets = sizes.map((_, index) => sizes.slice(0, index).reduce((a, b) => a + b, 0));
  // Under `fail`, the first failure cancels the calls still in flight: no point paying for images
  // the caller will not get.
  // With several calls, one controller, held here and fed by the request's signal through a
  // listener removed at the end (not `AbortSignal.any`, whose composite signal can lose a source to
  // GC on Node 20). A single call has no siblings: it uses the request's signal as is.
  const cancelSiblings = sizes.length > 1 ? new AbortController() : undefined;
  const signal = cancelSiblings?.signal ?? options.signal;
  const forwardAbort = () => cancelSiblings?.abort(options.signal.reason);
  if (cancelSiblings) {
    if (options.signal.aborted) forwardAbort();
    else options.signal.addEventListener('abort', forwardAbort, { once: true });
  }
  const invoke = options.invoke ?? ((call, context) => options.provider.generate(call, context));
  let firstFailure: GatewayError | undefined;

  const runCall = async (n: number, callIndex: number): Promise<ProviderResult> => {
    // Once a call has streamed a partial image to the client, a retry would show the client a
    // second, unrelated set of partial images under the same indexes: such a call is not retried.
    let streamed = false;
    const forwardPartial =
      options.call.partialImages && options.onPartialImage
        ? partialImageForwarder((partial) => {
            streamed = true;
            options.onPartialImage!(partial);
          }, seedOffsets[callIndex]!)
        : undefined;
    const policy = retry(
      handleWhen((error) => !signal.aborted && !streamed && isRetryable(error, options)),
      {
        maxAttempts: options.retry.maxRetries,
        backoff: new DelegateBackoff((context) => {
          const error = (context.result as { error?: unknown }).error;
          const hinted = GatewayError.isInstance(error) ? error.retryAfterMs : undefined;
          const exponential = Math.min(
            options.retry.maxDelayMs,
            options.retry.initialDelayMs * 2 ** (context.attempt - 1),
          );
          const jittered = exponential / 2 + (random() * exponential) / 2;
          return Math.min(Math.max(hinted ?? 0, jittered), Math.max(0, options.deadlineAt - options.now()));
        }),
      },
    );
    const retryListener = policy.onRetry((event) => {
      const error = 'error' in event ? toGatewayError(event.error) : undefined;
      if (error) options.onRetry?.({ callIndex, attempt: event.attempt, delayMs: event.delay, error });
    });
    try {
      return await policy.execute(async ({ attempt }) => {
        const zeroBased = attempt;
        if (signal.aborted) throw abortErrorFrom(signal, options.provider.id);
        options.onCallStart?.({ callIndex, attempt: zeroBased, n });
        const started = options.now();
        const seed =
          options.call.seed === undefined
            ? undefined
            : (options.call.seed + seedOffsets[callIndex]!) % (model.capabilities.maxSeed + 1);
        const call: ProviderCall = { ...options.call, n, ...(seed === undefined ? {} : { seed }) };
        const context: ProviderCallContext = {
          signal,
          requestId: options.requestId,
          callIndex,
          attempt: zeroBased,
          logger: options.logger,
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(forwardPartial ? { onPartialImage: forwardPartial } : {}),
        };
        try {
          const result = await invoke(call, context);
          const failedCount = result.failedCount ?? 0;
          if (result.images.length + (result.filteredCount ?? 0) + failedCount > n) {
            throw new BackendError(
              `${options.provider.id} returned ${result.images.length} images for a call that asked for ${n}.`,
              {
                reason: 'malformed_response',
                provider: options.provider.id,
                retryable: false,
              },
            );
          }
          if (result.images.length === 0 && (result.filteredCount ?? 0) === 0) {
            throw new BackendError(`${options.provider.id} answered without any image.`, {
              reason: 'malformed_response',
              provider: options.provider.id,
              ...(result.response?.upstreamRequestId
                ? { upstreamRequestId: result.response.upstreamRequestId }
                : {}),
            });
          }
          if (failedCount > 0 && options.partialFailure === 'fail') {
            // Billed and partly successful: a retry would pay for every image again.
            throw new BackendError(
              `${options.provider.id} produced ${result.images.length} of ${n} images and reported ${failedCount} as failed; the call was billed, so it is not retried. Set dispatch.partialFailure to 'return_partial' to receive the images that succeeded.`,
              { reason: 'upstream_unavailable', provider: options.provider.id, retryable: false },
            );
          }
          options.onCallEnd?.({
            callIndex,
            attempt: zeroBased,
            durationMs: options.now() - started,
            images: result.images.length,
          });
          return result;
        } catch (error) {
          const normalized = signal.aborted
            ? abortErrorFrom(signal, options.provider.id)
            : toGatewayError(error);
          options.onCallEnd?.({
            callIndex,
            attempt: zeroBased,
            durationMs: options.now() - started,
            images: 0,
            error: normalized,
          });
          throw normalized;
        }
      }, signal);
    } catch (error) {
      const normalized = options.signal.aborted
        ? abortErrorFrom(options.signal, options.provider.id)
        : toGatewayError(error);
      if (!firstFailure && !signal.aborted) {
        firstFailure = normalized;
        if (options.partialFailure === 'fail') cancelSiblings?.abort(normalized);
      }
      throw normalized;
    } finally {
      retryListener.dispose();
    }
  };

  let settled: PromiseSettledResult<ProviderResult>[];
  try {
    settled = await mapWithConcurrency(sizes, options.concurrency, runCall);
  } finally {
    if (cancelSiblings) options.signal.removeEventListener('abort', forwardAbort);
  }
  const result = mergeResults(settled, sizes, firstFailure);
  if (result.firstError && (options.partialFailure === 'fail' || result.images.length === 0))
    throw result.firstError;
  return result;
}

import { GatewayError } from '../errors/gateway-error.ts';
import type { OutputFormat } from '../request/image-request.ts';
import type { GenerationResult } from './generation-result.ts';

/** The operations that stream partial images. */
export type StreamOperation = 'generate' | 'edit';

/**
 * A partial image of a streamed request, as the caller receives it (OpenAI's
 * `image_generation.partial_image` / `image_edit.partial_image`). Never stored, never audited
 * with its bytes: only the count of partial images sent reaches the audit record.
 */
export interface PartialImageEvent {
  type: 'partial_image';
  operation: StreamOperation;
  /** Index of the final image this partial image belongs to, within the request. */
  imageIndex: number;
  /** Zero-based index of the partial image within its final image. */
  partialImageIndex: number;
  /** The partial image, base64 encoded. */
  b64: string;
  mediaType: string;
  /** The call's values, when known. */
  size?: string;
  quality?: string;
  background?: 'transparent' | 'opaque' | 'auto';
  outputFormat?: OutputFormat;
}

/** The last event of a stream: the same result `generate` / `edit` returns. */
export interface CompletedImageEvent {
  type: 'completed';
  operation: StreamOperation;
  result: GenerationResult;
}

/** What `gateway.stream` yields: partial images (zero or more), then one completed event. */
export type ImageStreamEvent = PartialImageEvent | CompletedImageEvent;

/** Starts one request that reports partial images to `onPartialImage` and aborts on `signal`. */
export type StartStreamedRequest = (
  onPartialImage: (event: PartialImageEvent) => void,
  signal: AbortSignal,
) => Promise<GenerationResult>;

/**
 * Turns one request into an async iterable: partial images in the order the provider reported
 * them, then the completed event. A consumer that stops early (`break`, `return()`) aborts the
 * request (and so its upstream call); the iterator's `return()` resolves only once the request
 * has ended and been audited, so exactly one audit record exists when the loop is left. A failed
 * request is thrown from the iterator, after its audit record was written.
 */
export async function* streamRequest(
  operation: StreamOperation,
  start: StartStreamedRequest,
  callerSignal?: AbortSignal,
): AsyncGenerator<ImageStreamEvent, void, undefined> {
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const queue: PartialImageEvent[] = [];
  let wake: (() => void) | undefined;
  let settled = false;
  let outcome: { result: GenerationResult } | { error: unknown } | undefined;
  const request = start((event) => {
    queue.push(event);
    wake?.();
  }, controller.signal).then(
    (result) => {
      outcome = { result };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  void request.finally(() => {
    settled = true;
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (settled) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (outcome && 'error' in outcome) throw outcome.error;
    yield { type: 'completed', operation, result: (outcome as { result: GenerationResult }).result };
  } finally {
    callerSignal?.removeEventListener('abort', onCallerAbort);
    if (!settled) {
      controller.abort(new GatewayError('ABORTED', 'The stream was closed by its consumer before it ended.'));
      await request;
    }
  }
}

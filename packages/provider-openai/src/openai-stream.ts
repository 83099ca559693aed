import {
  abortErrorFrom,
  BackendError,
  decodeBase64,
  type ImageUsage,
  type ProviderCallContext,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import { imagesResponseSchema, mapUsage } from './openai-api.ts';
import { mapOpenAIError } from './openai-error.ts';
import type { ImagesAnswer } from './openai-image-result.ts';
import { readServerSentEvents } from './openai-sse.ts';

/**
 * A streamed image event (`image_generation.*` / `image_edit.*`, reference 1.5), read leniently:
 * only what is used is typed. An `error` event carries OpenAI's error object, either wrapped in
 * `error` (as the error envelope) or flat.
 */
const streamEventSchema = z.object({
  type: z.string().nullish(),
  b64_json: z.string().nullish(),
  partial_image_index: z.number().int().nonnegative().nullish(),
  output_format: z.string().nullish(),
  usage: imagesResponseSchema.shape.usage,
  error: z.unknown().optional(),
});
type StreamEvent = z.infer<typeof streamEventSchema>;

/** The largest single event: a 3840x2160 PNG of noise is about 33 MB of base64. */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;

/** What a stream accumulates: the completed images (as an images response would list them). */
interface StreamState {
  completed: Array<{ b64_json: string }>;
  outputFormat: string | undefined;
  usage: ImageUsage | undefined;
  partials: number;
}

function malformed(answer: ImagesAnswer, message: string): BackendError {
  return new BackendError(message, {
    reason: 'malformed_response',
    provider: answer.transport.id,
    upstreamStatus: answer.status,
    ...(answer.upstreamRequestId ? { upstreamRequestId: answer.upstreamRequestId } : {}),
  });
}

/** Adds two usages field by field (each completed event reports its own image's tokens). */
function addUsage(total: ImageUsage | undefined, more: ImageUsage | undefined): ImageUsage | undefined {
  if (!more) return total;
  if (!total) return { ...more };
  const sum: ImageUsage = { ...total };
  for (const key of Object.keys(more) as Array<keyof ImageUsage>)
    sum[key] = (sum[key] ?? 0) + (more[key] ?? 0);
  return sum;
}

/**
 * The HTTP status an error event stands for, so it maps exactly like the same error answered as
 * HTTP: safety codes and request errors are 400, rate limits 429, server errors (or no code) 500.
 */
function statusOfErrorEvent(error: Record<string, unknown>): number {
  const code = typeof error.code === 'string' ? error.code : undefined;
  const type = typeof error.type === 'string' ? error.type : undefined;
  if (code === 'rate_limit_exceeded' || code === 'insufficient_quota' || type === 'insufficient_quota')
    return 429;
  if (type === 'server_error' || (code === undefined && type !== 'invalid_request_error')) return 500;
  return 400;
}

/** Maps an upstream `error` event to the BackendError the same error as an HTTP answer gets. */
function streamError(answer: ImagesAnswer, event: StreamEvent, raw: Record<string, unknown>): BackendError {
  const inner = (typeof event.error === 'object' && event.error !== null ? event.error : raw) as Record<
    string,
    unknown
  >;
  const headers = new Headers(answer.upstreamRequestId ? { 'x-request-id': answer.upstreamRequestId } : {});
  return mapOpenAIError(statusOfErrorEvent(inner), headers, JSON.stringify({ error: inner }), {
    provider: answer.transport.id,
    label: answer.transport.label,
    modelId: answer.data.deployment
      ? (answer.data.upstreamModel ?? answer.call.model.id)
      : answer.call.model.id,
    deployment: answer.data.deployment,
    secrets: answer.secrets,
  });
}

/** Decodes one partial image and hands it to the caller, in arrival order. */
function reportPartial(
  answer: ImagesAnswer,
  state: StreamState,
  event: StreamEvent,
  context: ProviderCallContext,
) {
  if (!event.b64_json)
    throw malformed(answer, `${answer.transport.label} sent a partial image without image data.`);
  const bytes = decodeBase64(event.b64_json, answer.transport.id);
  const sniffed = sniffImage(bytes);
  if (!sniffed)
    throw malformed(answer, `${answer.transport.label} sent a partial image that is not an image.`);
  context.onPartialImage?.({
    partialImageIndex: event.partial_image_index ?? state.partials,
    imageIndex: state.completed.length,
    bytes,
    base64: event.b64_json,
    mediaType: sniffed.mediaType,
  });
  state.partials += 1;
}

/** Applies one event to the state; throws on an error event or a malformed one. */
function applyEvent(
  answer: ImagesAnswer,
  state: StreamState,
  name: string,
  data: string,
  context: ProviderCallContext,
): void {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    throw malformed(answer, `${answer.transport.label} sent a stream event that is not JSON.`);
  }
  const parsed = streamEventSchema.safeParse(raw);
  if (!parsed.success)
    throw malformed(answer, `${answer.transport.label} sent a stream event of an unknown shape.`);
  const event = parsed.data;
  const type = name || event.type || '';
  if (type === 'error' || event.error !== undefined)
    throw streamError(answer, event, raw as Record<string, unknown>);
  if (type.endsWith('.partial_image')) {
    reportPartial(answer, state, event, context);
  } else if (type.endsWith('.completed')) {
    if (!event.b64_json)
      throw malformed(answer, `${answer.transport.label} completed an image without image data.`);
    state.completed.push({ b64_json: event.b64_json });
    state.outputFormat = event.output_format ?? state.outputFormat;
    state.usage = addUsage(state.usage, mapUsage(event.usage));
  }
  // Other event types are newer additions; the images come only from the two above.
}

/**
 * Reads a `stream: true` answer: each `*.partial_image` goes to `context.onPartialImage` as it
 * arrives, each `*.completed` image is kept, and the result is an images response built from them
 * (read by the same code as a JSON answer) with the usage summed over the completed events. An `error` event maps like an HTTP error; a stream
 * that ends without a completed image is malformed (retryable).
 */
export async function readImageStream(
  answer: ImagesAnswer,
  body: ReadableStream<Uint8Array> | null,
  maxTotalBytes: number,
  context: ProviderCallContext,
): Promise<{ json: unknown; usage: ImageUsage | undefined }> {
  const state: StreamState = { completed: [], outputFormat: undefined, usage: undefined, partials: 0 };
  if (body) {
    const events = readServerSentEvents(body, {
      provider: answer.transport.id,
      maxEventBytes: Math.min(MAX_EVENT_BYTES, maxTotalBytes),
      maxTotalBytes,
      signal: answer.signal,
      upstreamStatus: answer.status,
      upstreamRequestId: answer.upstreamRequestId,
    });
    for await (const { event, data } of events) {
      applyEvent(answer, state, event, data, context);
      // An abort from onPartialImage must win even when the rest of the stream is already buffered.
      if (answer.signal.aborted) throw abortErrorFrom(answer.signal, answer.transport.id);
      if (state.completed.length >= answer.call.n) break;
    }
  }
  if (state.completed.length === 0) {
    throw malformed(answer, `${answer.transport.label}'s event stream ended without a completed image.`);
  }
  return {
    json: { data: state.completed, ...(state.outputFormat ? { output_format: state.outputFormat } : {}) },
    usage: state.usage,
  };
}

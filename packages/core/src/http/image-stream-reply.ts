import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { toNativeErrorEnvelope, toOpenAIErrorEnvelope } from '../errors/render-error.ts';
import type { GenerationResult } from '../pipeline/generation-result.ts';
import type { ImageStreamEvent, PartialImageEvent } from '../pipeline/image-stream.ts';
import type { Logger } from '../provider/logger.ts';
import { rateLimitHeaders } from '../rate-limit/rate-limit-helpers.ts';
import { toNativeResponse } from './generation-reply.ts';
import type { HttpReply } from './http-exchange.ts';
import { toOpenAIImagesBody } from './openai-images.ts';
import { type ReplyContext, reply } from './replies.ts';
import {
  SERVER_SENT_EVENT_HEADERS,
  type ServerSentEvent,
  serverSentEventStream,
} from './server-sent-events.ts';

/** How one streamed request is rendered. */
export interface ImageStreamSpec {
  /** `image_generation` or `image_edit`: the prefix of the event names. */
  eventPrefix: 'image_generation' | 'image_edit';
  /** The request body (for the settings echoed on partial images and the native metadata). */
  body: Record<string, unknown>;
  /** Unix seconds, for `created_at`. */
  now: () => number;
  logger: Logger;
  /** Called with the result before its events are rendered (media links made absolute). */
  prepare?: (result: GenerationResult) => void;
}

/** The settings a partial image is made with: the call's, else what was asked. */
function partialSettings(event: PartialImageEvent, body: Record<string, unknown>): Record<string, string> {
  const known: Record<string, unknown> = {
    size: event.size ?? body.size,
    quality: event.quality ?? body.quality,
    background: event.background ?? body.background,
    output_format: event.outputFormat ?? body.output_format,
  };
  const settings: Record<string, string> = {};
  for (const [field, value] of Object.entries(known)) if (typeof value === 'string') settings[field] = value;
  return settings;
}

/**
 * One `completed` event per image. On the OpenAI routes each carries OpenAI's fields (the
 * image, `created_at`, the settings) and the last one the request's `usage`; on the native route
 * each carries the native image object and the last one the request's facts (id, model,
 * warnings, labels, cost, usage, metadata).
 */
function completedEvents(
  context: ReplyContext,
  spec: ImageStreamSpec,
  result: GenerationResult,
): ServerSentEvent[] {
  const type = `${spec.eventPrefix}.completed`;
  const createdAt = spec.now();
  spec.prepare?.(result);
  if (context.style === 'native') {
    const { data, ...facts } = toNativeResponse(result, spec.body.metadata);
    const images = data as Array<Record<string, unknown>>;
    return images.map((image, index) => ({
      event: type,
      data: { type, created_at: createdAt, ...image, ...(index === images.length - 1 ? facts : {}) },
    }));
  }
  const { data, usage, created: _created, ...settings } = toOpenAIImagesBody(result, spec.body);
  const images = data as Array<Record<string, unknown>>;
  return images.map((image, index) => ({
    event: type,
    data: {
      type,
      ...image,
      created_at: createdAt,
      ...settings,
      ...(usage !== undefined && index === images.length - 1 ? { usage } : {}),
    },
  }));
}

/** The `error` event of a request that failed after its stream began, in the route's envelope. */
function errorEvent(context: ReplyContext, spec: ImageStreamSpec, thrown: unknown): ServerSentEvent {
  let error = toGatewayError(thrown);
  if (error.code === 'INTERNAL_ERROR' || error.code === 'CONFIGURATION_ERROR') {
    spec.logger.error(
      { requestId: context.requestId, code: error.code, message: error.message },
      'pixelgate http: stream failed',
    );
    error = new GatewayError(
      'INTERNAL_ERROR',
      'The server could not complete the request; see the server logs with the request id.',
    );
  }
  const envelope =
    context.style === 'openai'
      ? toOpenAIErrorEnvelope(error)
      : toNativeErrorEnvelope(error, context.requestId);
  return { event: 'error', data: { type: 'error', ...envelope } };
}

function toEvents(context: ReplyContext, spec: ImageStreamSpec, item: ImageStreamEvent): ServerSentEvent[] {
  if (item.type === 'completed') return completedEvents(context, spec, item.result);
  const type = `${spec.eventPrefix}.partial_image`;
  return [
    {
      event: type,
      data: {
        type,
        b64_json: item.b64,
        created_at: spec.now(),
        ...partialSettings(item, spec.body),
        partial_image_index: item.partialImageIndex,
      },
    },
  ];
}

/** The events after the first item: a failure becomes one `error` event, then the stream ends. */
async function* eventsFrom(
  context: ReplyContext,
  spec: ImageStreamSpec,
  first: ImageStreamEvent,
  rest: AsyncIterator<ImageStreamEvent>,
): AsyncGenerator<ServerSentEvent> {
  let finished = false;
  try {
    yield* toEvents(context, spec, first);
    for (;;) {
      let next: IteratorResult<ImageStreamEvent>;
      try {
        next = await rest.next();
      } catch (error) {
        finished = true;
        yield errorEvent(context, spec, error);
        return;
      }
      if (next.done) break;
      yield* toEvents(context, spec, next.value);
    }
    finished = true;
  } finally {
    // The client went away: stop the source, which aborts the upstream call.
    if (!finished) await rest.return?.();
  }
}

/**
 * Answers a streamed request as `text/event-stream`. The first item is awaited before anything is
 * sent, so a request refused by validation, access, guardrails or the budget (which the source
 * throws before producing anything) is answered as a normal JSON error by the caller of this
 * function. After that, each item becomes its events; a later failure is one `error` event with
 * the code, and a client that goes away stops the source (aborting the upstream call).
 */
export async function imageStreamReply(
  context: ReplyContext,
  spec: ImageStreamSpec,
  items: AsyncIterable<ImageStreamEvent>,
): Promise<HttpReply> {
  const iterator = items[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new GatewayError('INTERNAL_ERROR', 'The stream ended before producing an image.');
  }
  const rateLimit = first.value.type === 'completed' ? rateLimitHeaders(first.value.result.rateLimit) : {};
  return reply(
    context,
    200,
    { ...SERVER_SENT_EVENT_HEADERS, ...rateLimit },
    serverSentEventStream(eventsFrom(context, spec, first.value, iterator)),
  );
}

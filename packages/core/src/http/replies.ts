import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { toNativeErrorEnvelope, toOpenAIErrorEnvelope } from '../errors/render-error.ts';
import type { Logger } from '../provider/logger.ts';
import { rateLimitHeaders } from '../rate-limit/rate-limit-helpers.ts';
import type { RateLimitDecision } from '../rate-limit/rate-limit-store.ts';
import type { HttpReply } from './http-exchange.ts';

/** Envelope style of a route family: OpenAI's error body, or pixelgate's native one. */
export type EnvelopeStyle = 'openai' | 'native';

/** What every reply of one request shares: its id, its envelope style, and headers set on the way in (CORS). */
export interface ReplyContext {
  readonly requestId: string;
  readonly style: EnvelopeStyle;
  /** Headers every reply of this request carries (request id, CORS). */
  readonly baseHeaders: Record<string, string>;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A reply with the request's base headers plus `extra`. */
export function reply(
  context: ReplyContext,
  status: number,
  extra?: Record<string, string>,
  body?: HttpReply['body'],
): HttpReply {
  const headers = { ...context.baseHeaders, ...extra };
  return body === undefined ? { status, headers } : { status, headers, body };
}

/** A JSON reply (`no-store`: answers are per caller and per request). */
export function jsonReply(
  context: ReplyContext,
  status: number,
  value: unknown,
  extra?: Record<string, string>,
): HttpReply {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return reply(
    context,
    status,
    {
      'content-type': JSON_TYPE,
      'cache-control': 'no-store',
      'content-length': String(bytes.byteLength),
      ...extra,
    },
    [bytes],
  );
}

/** Headers that tell a client when to come back: Retry-After (seconds) and retry-after-ms. */
function retryHeaders(error: GatewayError): Record<string, string> {
  if (error.status !== 429 && !(error.retryable && error.retryAfterMs !== undefined)) return {};
  const ms = Math.max(0, error.retryAfterMs ?? 1000);
  return {
    'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
    'retry-after-ms': String(Math.ceil(ms)),
  };
}

/**
 * The error reply of a request: the envelope of its route family, `x-ratelimit-*` when the error
 * carries the rate-limit decisions of its request, Retry-After on 429 and retryable waits,
 * WWW-Authenticate on 401. Internal failures are logged with their detail and rendered without it.
 */
export function errorReply(
  context: ReplyContext,
  thrown: unknown,
  logger: Logger,
  extra?: Record<string, string>,
): HttpReply {
  let error = toGatewayError(thrown);
  if (error.code === 'INTERNAL_ERROR' || error.code === 'CONFIGURATION_ERROR') {
    logger.error(
      {
        requestId: context.requestId,
        code: error.code,
        message: error.message,
        ...(error.cause instanceof Error ? { err: error.cause } : {}),
      },
      'pixelgate http: request failed',
    );
    error = new GatewayError(
      'INTERNAL_ERROR',
      'The server could not complete the request; see the server logs with the request id.',
    );
  }
  const decisions: readonly RateLimitDecision[] = toGatewayError(thrown).rateLimit ?? [];
  const headers: Record<string, string> = {
    ...rateLimitHeaders(decisions),
    ...retryHeaders(error),
    ...extra,
  };
  if (error.status === 401) headers['www-authenticate'] ??= 'Bearer realm="pixelgate"';
  const body =
    context.style === 'openai'
      ? toOpenAIErrorEnvelope(error)
      : toNativeErrorEnvelope(error, context.requestId);
  return jsonReply(context, error.status, body, headers);
}

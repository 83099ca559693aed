import type { FetchHandler } from '@pixelgate/core';
import type { OpsRoutes } from './ops-routes.ts';
import type { RequestLog } from './request-log.ts';

/**
 * Where core's `createHttpHandler` keeps its runtime-neutral router (`HTTP_EXCHANGE_HANDLER`),
 * which `@pixelgate/node` serves without building web `Request`/`Response` objects. A registered
 * symbol, so it is found without importing it.
 */
const EXCHANGE_HANDLER = Symbol.for('pixelgate.http.exchange-handler');

/** The part of core's `HttpExchange` this layer reads. */
interface ExchangeLike {
  readonly method: string;
  readonly pathname: string;
}

/** The part of core's `HttpReply` this layer reads or builds. */
interface ReplyLike {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array[] | ReadableStream<Uint8Array>;
}

type ExchangeHandlerLike = (exchange: ExchangeLike) => Promise<ReplyLike>;

/** The two layers `serve` puts in front of the API. */
export interface ServeLayers {
  ops: OpsRoutes;
  logRequest: RequestLog;
}

const isJson = (contentType: string | null | undefined) => Boolean(contentType?.includes('json'));

function fetchLayer(inner: FetchHandler, layers: ServeLayers): FetchHandler {
  return async (request) => {
    const startedAt = performance.now();
    const { pathname } = new URL(request.url);
    const answer = await layers.ops(request.method, pathname);
    if (answer) return new Response(request.method === 'HEAD' ? null : answer.body, answer);
    const response = await inner(request);
    await layers.logRequest({
      method: request.method,
      pathname,
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
      startedAt,
      errorBody: async () =>
        isJson(response.headers.get('content-type')) ? response.clone().text() : undefined,
    });
    return response;
  };
}

function exchangeLayer(inner: ExchangeHandlerLike, layers: ServeLayers): ExchangeHandlerLike {
  return async (exchange) => {
    const startedAt = performance.now();
    const answer = await layers.ops(exchange.method, exchange.pathname);
    if (answer) {
      const body = exchange.method === 'HEAD' ? {} : { body: [new TextEncoder().encode(answer.body)] };
      return { status: answer.status, headers: answer.headers, ...body };
    }
    const reply = await inner(exchange);
    const chunks = reply.body;
    await layers.logRequest({
      method: exchange.method,
      pathname: exchange.pathname,
      status: reply.status,
      requestId: reply.headers['x-request-id'],
      startedAt,
      errorBody: async () =>
        Array.isArray(chunks) && isJson(reply.headers['content-type'])
          ? Buffer.concat(chunks).toString('utf8')
          : undefined,
    });
    return reply;
  };
}

/**
 * `serve`'s handler: the operations routes (`/healthz`, `/readyz`, `/metrics`), then the API with
 * one log line per request. When the API handler carries core's runtime-neutral router, the
 * result carries a wrapped one too, so `@pixelgate/node` keeps serving it on its fast path.
 */
export function serveHandler(inner: FetchHandler, layers: ServeLayers): FetchHandler {
  const handler = fetchLayer(inner, layers);
  const router = (inner as { [EXCHANGE_HANDLER]?: ExchangeHandlerLike })[EXCHANGE_HANDLER];
  if (typeof router !== 'function') return handler;
  return Object.assign(handler, { [EXCHANGE_HANDLER]: exchangeLayer(router, layers) });
}

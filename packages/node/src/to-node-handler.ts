import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExchangeHandler, HttpReply } from '@pixelgate/core/adapter-utils';
import { createHeaders, createRequestListener, sendResponse } from '@remix-run/node-fetch-server';
import { consumedBody, type FrameworkRequest, fromNodeRequest } from './node-exchange.ts';
import { requestUrl } from './request-url.ts';
import { writeReply } from './write-reply.ts';

/** A fetch-style handler, such as the one `createHttpHandler` returns. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A Node request listener that Express and Connect may also call with `next`. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Build the request URL from `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` (default
   * false). Turn it on only behind a proxy that sets these headers itself, or clients can choose
   * the host that media URLs point at. Setting `media.publicBaseUrl` is the sturdier choice.
   */
  trustProxy?: boolean;
  /** Fixed host (`api.example.com:8443`) for request URLs, overriding the Host header. */
  requestHost?: string;
  /** Fixed protocol (`https:`) for request URLs, e.g. when TLS ends at a proxy. */
  requestProtocol?: 'http:' | 'https:';
}

const INTERNAL_ERROR_BODY = JSON.stringify({
  error: {
    message: 'The server could not complete the request.',
    type: 'server_error',
    param: null,
    code: 'internal_error',
  },
});

/** Where `createHttpHandler` keeps its router (`HTTP_EXCHANGE_HANDLER` in core). */
const EXCHANGE_HANDLER = Symbol.for('pixelgate.http.exchange-handler');

const INTERNAL_ERROR_REPLY: HttpReply = {
  status: 500,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
};

function internalError(): Response {
  return new Response(INTERNAL_ERROR_BODY, {
    status: 500,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/**
 * Mounts a fetch-style handler in Node: `http.createServer(toNodeHandler(handler))`,
 * `app.use(toNodeHandler(handler))` in Express, or a hijacked Fastify route (see the HTTP guide).
 * Conversion between Node and fetch objects is done by `@remix-run/node-fetch-server`: request
 * bodies stream in with backpressure (so the handler's size limit stops reading early), response
 * bodies stream out without buffering (media files), and a client that disconnects aborts
 * `request.signal`, which cancels the generation.
 *
 * The handler always sees the full path (Express's `originalUrl`), so a gateway configured with
 * `media.pathPrefix: '/oai'` can be mounted with `app.use('/oai', ...)`. A body that a framework's
 * parser already read is replayed rather than awaited forever.
 */
export function toNodeHandler(handler: FetchHandler, options: NodeHandlerOptions = {}): NodeHandler {
  const router = (handler as { [EXCHANGE_HANDLER]?: ExchangeHandler })[EXCHANGE_HANDLER];
  if (typeof router === 'function') return toNativeNodeHandler(router, options);
  const listenerOptions = {
    ...(options.trustProxy ? { trustProxy: true } : {}),
    ...(options.requestHost ? { host: options.requestHost } : {}),
    ...(options.requestProtocol ? { protocol: options.requestProtocol } : {}),
    onError: () => internalError(),
  };
  const listener = createRequestListener((request: Request) => handler(request), listenerOptions);

  return (req: FrameworkRequest, res: ServerResponse): void => {
    if (typeof req.originalUrl === 'string' && req.originalUrl.startsWith('/')) req.url = req.originalUrl;
    const replay = req.method !== 'GET' && req.method !== 'HEAD' ? consumedBody(req) : undefined;
    if (replay === undefined) {
      listener(req, res);
      return;
    }
    void (async () => {
      let response: Response;
      try {
        // Not createRequest: it would wait for (and, on 'close', abort over) a body already read.
        const headers = createHeaders(req);
        headers.delete('content-length');
        headers.delete('transfer-encoding');
        const controller = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) controller.abort();
        });
        const request = new Request(requestUrl(req, options), {
          method: req.method ?? 'POST',
          headers,
          body: replay as Uint8Array<ArrayBuffer>,
          signal: controller.signal,
        });
        response = await handler(request).catch(() => internalError());
      } catch {
        response = internalError();
      }
      if (res.destroyed || res.writableEnded) return;
      await sendResponse(res, response).catch(() => res.destroy());
    })();
  };
}

/**
 * The fast path for pixelgate's own handler: its router runs on the Node request directly, and
 * its reply is written with `writeHead`/`write`/`end`, with no web `Request`, `Response` or
 * streams on the way (a stored image is still streamed). Behaviour is the fetch path's.
 */
function toNativeNodeHandler(router: ExchangeHandler, options: NodeHandlerOptions): NodeHandler {
  return (req: FrameworkRequest, res: ServerResponse): void => {
    if (typeof req.originalUrl === 'string' && req.originalUrl.startsWith('/')) req.url = req.originalUrl;
    const exchange = fromNodeRequest(req, res, options);
    void router(exchange)
      .catch(() => ({ ...INTERNAL_ERROR_REPLY, body: [Buffer.from(INTERNAL_ERROR_BODY)] }))
      .then((reply) => writeReply(res, reply, exchange.closeConnection))
      .catch(() => res.destroy());
  };
}

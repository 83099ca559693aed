import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHeaders, createRequestListener, sendResponse } from '@remix-run/node-fetch-server';

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

function internalError(): Response {
  return new Response(INTERNAL_ERROR_BODY, {
    status: 500,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/** Express and Connect keep the full path in `originalUrl` while `url` is relative to the mount point. */
interface FrameworkRequest extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
  rawBody?: unknown;
}

/**
 * The body a framework's parser already consumed (Express `express.json()`, Fastify's JSON parser),
 * rebuilt so the handler still sees it. Raw bytes win; a parsed object is serialized again.
 */
function consumedBody(req: FrameworkRequest): Uint8Array | undefined {
  if (!req.readableEnded) return undefined;
  const raw = req.rawBody ?? req.body;
  if (raw === undefined) return undefined;
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return Buffer.from(JSON.stringify(raw), 'utf8');
}

function firstForwarded(value: string | null): string | undefined {
  const first = value?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/** The request URL for a replayed body, built the way the conversion library builds it. */
function requestUrl(req: IncomingMessage, headers: Headers, options: NodeHandlerOptions): string {
  const forwardedProtocol = options.trustProxy
    ? firstForwarded(headers.get('x-forwarded-proto'))?.toLowerCase()
    : undefined;
  const protocol =
    options.requestProtocol ??
    (forwardedProtocol === 'https' || forwardedProtocol === 'http' ? `${forwardedProtocol}:` : undefined) ??
    ('encrypted' in req.socket && req.socket.encrypted ? 'https:' : 'http:');
  const host =
    options.requestHost ??
    (options.trustProxy ? firstForwarded(headers.get('x-forwarded-host')) : undefined) ??
    headers.get('host') ??
    'localhost';
  return `${protocol}//${host}${req.url ?? '/'}`;
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
        const request = new Request(requestUrl(req, headers, options), {
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

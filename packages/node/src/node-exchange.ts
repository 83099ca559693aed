import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '@pixelgate/core';
import { type HeaderReader, type HttpExchange, payloadTooLarge } from '@pixelgate/core/adapter-utils';
import { type RequestUrlOptions, requestUrl } from './request-url.ts';

/** Express and Connect keep the full path in `originalUrl`; parsers keep what they read in `body`. */
export interface FrameworkRequest extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
  rawBody?: unknown;
}

/** An {@link HttpExchange} over a Node request, and whether its reply must close the connection. */
export interface NodeExchange extends HttpExchange {
  /** True once the body was refused part-way (unread bytes remain on the connection). */
  readonly closeConnection: boolean;
}

/**
 * The body a framework's parser already consumed (Express `express.json()`, Fastify's JSON parser),
 * rebuilt so the handler still sees it. Raw bytes win; a parsed object is serialized again.
 */
export function consumedBody(req: FrameworkRequest): Uint8Array | undefined {
  if (!req.readableEnded || req.method === 'GET' || req.method === 'HEAD') return undefined;
  const raw = req.rawBody ?? req.body;
  if (raw === undefined) return undefined;
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return Buffer.from(JSON.stringify(raw), 'utf8');
}

function headerReader(req: IncomingMessage): HeaderReader {
  return {
    get(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    has: (name) => req.headers[name.toLowerCase()] !== undefined,
  };
}

function clientGone(): GatewayError {
  return new GatewayError('ABORTED', 'The request body could not be read to the end (the client went away).');
}

/**
 * Reads a Node request body up to `limit` bytes, straight from the socket's chunks: a declared
 * Content-Length over the limit is refused before reading, and reading stops (the request is
 * paused) at the first byte over it. `onRefused` marks the connection for closing.
 */
function readNodeBody(req: IncomingMessage, limit: number, onRefused: () => void): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    onRefused();
    return Promise.reject(payloadTooLarge(limit));
  }
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      req.pause();
      onRefused();
      reject(payloadTooLarge(limit));
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onGone = () => {
      cleanup();
      reject(clientGone());
    };
    const onClose = () => {
      if (!req.readableEnded) onGone();
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onClose);
  });
}

/**
 * A Node request's body chunk by chunk, for uploads checked while they stream. Until the body has
 * ended, `onUnread(true)` marks the connection for closing after the reply (a refusal may be
 * answered before the rest arrives); leaving early pauses the request instead of destroying it,
 * since the refusal still has to be written on its socket.
 */
async function* nodeBodyChunks(
  req: IncomingMessage,
  onUnread: (unread: boolean) => void,
): AsyncGenerator<Uint8Array> {
  if (req.readableEnded) return;
  onUnread(true);
  let ended = false;
  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
    ended = true;
    onUnread(false);
  } finally {
    if (!ended) req.pause();
  }
}

/**
 * A Node request as an {@link HttpExchange}, without building a web `Request` or streams: headers
 * are read from `req.headers`, the body from the socket's chunks, and `signal` aborts when the
 * response closes before it finished (the client went away). `toRequest` builds a body-less
 * `Request` only for hooks that take one.
 */
export function fromNodeRequest(
  req: FrameworkRequest,
  res: ServerResponse,
  options: RequestUrlOptions,
): NodeExchange {
  const url = requestUrl(req, options);
  let pathname = '';
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = '';
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = headerReader(req);
  const replay = consumedBody(req);
  let closeConnection = false;
  let request: Request | undefined;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    pathname,
    headers,
    signal: controller.signal,
    get closeConnection() {
      return closeConnection;
    },
    readBody(limit) {
      const refused = () => {
        closeConnection = true;
      };
      if (replay === undefined) return readNodeBody(req, limit, refused);
      return replay.byteLength > limit ? Promise.reject(payloadTooLarge(limit)) : Promise.resolve(replay);
    },
    async *streamBody() {
      if (replay !== undefined) {
        yield replay;
        return;
      }
      yield* nodeBodyChunks(req, (unread) => {
        closeConnection = unread;
      });
    },
    toRequest() {
      request ??= new Request(url, {
        method: req.method ?? 'GET',
        headers: Object.entries(req.headers).flatMap(([name, value]) =>
          value === undefined || name.startsWith(':')
            ? []
            : Array.isArray(value)
              ? value.map((item): [string, string] => [name, item])
              : [[name, value] as [string, string]],
        ),
        signal: controller.signal,
      });
      return request;
    },
  };
}

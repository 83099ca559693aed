import type { HttpExchange, HttpReply } from './http-exchange.ts';
import { readRequestBody } from './request-body.ts';

/** A fetch `Request` as an {@link HttpExchange}; `toRequest` hands back the request itself. */
export function fromFetchRequest(request: Request): HttpExchange {
  let pathname = '';
  try {
    pathname = new URL(request.url).pathname;
  } catch {
    pathname = '';
  }
  return {
    method: request.method.toUpperCase(),
    url: request.url,
    pathname,
    headers: request.headers,
    signal: request.signal,
    readBody: (limit) => readRequestBody(request, limit),
    streamBody: () => streamRequestBody(request),
    toRequest: () => request,
  };
}

/** A fetch request's body chunk by chunk; leaving early cancels the body. */
async function* streamRequestBody(request: Request): AsyncGenerator<Uint8Array> {
  if (!request.body) return;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * An {@link HttpReply} as a fetch `Response`. Chunked bodies become a pull stream that lets go
 * of each chunk once written, so a multi-megabyte generation is not held twice.
 */
export function toFetchResponse(reply: HttpReply): Response {
  const headers = new Headers(reply.headers);
  const init = {
    status: reply.status,
    headers,
    ...(reply.statusText ? { statusText: reply.statusText } : {}),
  };
  const body = reply.body;
  if (body === undefined) return new Response(null, init);
  if (!Array.isArray(body)) return new Response(body, init);
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = body[next];
      body[next++] = EMPTY;
      if (chunk) controller.enqueue(chunk);
      if (next >= body.length) controller.close();
    },
  });
  return new Response(stream, init);
}

/**
 * The runtime-neutral view of one HTTP request that the router works on, and the reply it
 * produces. A fetch `Request` and a Node `IncomingMessage` both become an {@link HttpExchange},
 * so the routes are written once while each server keeps its own fast conversion: the fetch
 * adapter builds a `Response` from the {@link HttpReply}, `@pixelgate/node` writes it straight
 * to the socket without building web streams.
 */

/** Read access to request headers: a fetch `Headers` object satisfies it. */
export interface HeaderReader {
  /** The header's value (repeated headers joined with `, `), or null when absent. Case-insensitive. */
  get(name: string): string | null;
  has(name: string): boolean;
}

/** One request, as the router sees it. */
export interface HttpExchange {
  /** Upper-case method. */
  readonly method: string;
  /** The absolute request URL (origin as the client used it, for media links). */
  readonly url: string;
  /** The URL's path, still percent-encoded. */
  readonly pathname: string;
  readonly headers: HeaderReader;
  /** Aborts when the client goes away; cancels the generation. */
  readonly signal: AbortSignal;
  /**
   * Reads the body up to `limit` bytes: a declared Content-Length over the limit is refused
   * before reading, and reading stops at the first byte over it.
   * @throws GatewayError PAYLOAD_TOO_LARGE (413), or ABORTED when the client goes away mid-body.
   */
  readBody(limit: number): Promise<Uint8Array>;
  /**
   * The body as its chunks arrive, for uploads (multipart images) whose limits are enforced while
   * reading rather than after buffering. Ending the iteration early stops reading; the reply then
   * closes the connection. Optional: without it, uploads are read with `readBody` up to their
   * total limit.
   */
  streamBody?(): AsyncIterable<Uint8Array>;
  /**
   * A web `Request` for hooks that take one (a custom `authenticate`, the media handler), built
   * on first use. On the Node fast path it carries method, URL and headers but no body: the
   * router reads the body itself, with its size limit.
   */
  toRequest(): Request;
}

/** A reply body: byte chunks already in memory (written in order), or a stream (stored media). */
export type HttpReplyBody = Uint8Array[] | ReadableStream<Uint8Array>;

/** What the router answers; converted to a `Response` or written to a Node response. */
export interface HttpReply {
  status: number;
  statusText?: string;
  /** Header names in lower case; `set-cookie` is never used. */
  headers: Record<string, string>;
  /** Absent for 204, 304, HEAD and every reply without content. */
  body?: HttpReplyBody;
  /**
   * Close the connection after this reply (a body left unread, such as an oversize upload that
   * was refused part-way): servers that can, send `Connection: close` and do so.
   */
  closeConnection?: boolean;
}

/** The router as a function: what the fetch adapter and `@pixelgate/node` call. */
export type ExchangeHandler = (exchange: HttpExchange) => Promise<HttpReply>;

/**
 * Where the handler returned by `createHttpHandler` keeps its {@link ExchangeHandler}, so a
 * server adapter (`@pixelgate/node`'s `toNodeHandler`) can skip building `Request`/`Response`.
 * A registered symbol, so it also works across duplicate installs of the package.
 */
export const HTTP_EXCHANGE_HANDLER: unique symbol = Symbol.for('pixelgate.http.exchange-handler');

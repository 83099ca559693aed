import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ByteRange, StorageAdapter, StoredObjectInfo } from '../storage/storage-adapter.ts';
import type { MediaClaims, MediaSigner } from './media-signer.ts';

/** Options of {@link createMediaHandler}. */
export interface MediaHandlerOptions {
  storage: StorageAdapter;
  signer: MediaSigner;
  clock?: Clock;
  /** Path prefix `fetch` strips to find the token (default `/v1/media/`). */
  pathPrefix?: string;
  /**
   * When the embedding server knows who is asking (a session, an API key), return their tenant id
   * and tokens of any other tenant are answered like a missing object. Return undefined to accept
   * the token as a bearer credential (an `<img src>` from a browser carries no API key).
   */
  resolveTenant?: (request: Request) => string | undefined | Promise<string | undefined>;
}

/** Options of one {@link MediaHandler.handle} call. */
export interface MediaHandleOptions {
  /** Tenant of the caller, when known; overrides `resolveTenant`. */
  tenantId?: string;
}

/** Serves stored media to holders of a valid token. */
export interface MediaHandler {
  /** Serves `GET|HEAD {pathPrefix}{token}`; any other path answers the same 404. */
  fetch(request: Request): Promise<Response>;
  /** Serves one token, for routers that already extracted it from the path. */
  handle(request: Request, token: string, options?: MediaHandleOptions): Promise<Response>;
}

const NOT_FOUND_BODY = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Not found.', param: null } });

/**
 * The single answer to every token that cannot be served: forged, altered, expired, for another
 * tenant, or valid but naming a missing object. Identical status, headers and body, so a caller
 * learns nothing about what exists. 404 (not 403) because "there is nothing here for you" is
 * the truth in every one of these cases.
 */
function notFound(): Response {
  return new Response(NOT_FOUND_BODY, {
    status: 404,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

function methodNotAllowed(): Response {
  return new Response(
    JSON.stringify({
      error: { code: 'VALIDATION_ERROR', message: 'Only GET and HEAD are allowed.', param: null },
    }),
    {
      status: 405,
      headers: {
        Allow: 'GET, HEAD',
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
      },
    },
  );
}

function unavailable(error: unknown): Response {
  const retryable = GatewayError.isInstance(error) ? error.retryable : true;
  return new Response(
    JSON.stringify({
      error: { code: 'STORAGE_ERROR', message: 'The media store is unavailable.', param: null },
    }),
    {
      status: 503,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        ...(retryable ? { 'Retry-After': '1' } : {}),
      },
    },
  );
}

/** Parses a single `bytes=` range against a size. Returns undefined to ignore the header, 'unsatisfiable' for 416. */
export function parseRangeHeader(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Multiple or malformed ranges: RFC 9110 lets a server ignore Range and send the whole object.
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (!Number.isSafeInteger(suffix)) return undefined;
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

function etagMatches(header: string, etag: string | undefined): boolean {
  if (!etag) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

/**
 * Creates the handler for `GET /v1/media/{token}`: it verifies the token, then streams the object
 * straight from the storage adapter (never buffering it) with Content-Type, Content-Length, ETag,
 * `Cache-Control: private` capped at the token's remaining life, `nosniff`, HEAD, a single Range
 * (206, or 416 with `Content-Range: bytes * /size`) and If-None-Match (304). Every failure to find
 * something servable is the same 404; a store outage is a 503 that is only reachable with a valid
 * token. Fetch-style, so any server (Node http, Express, Fastify, Hono, Next.js) can mount it.
 */
export function createMediaHandler(options: MediaHandlerOptions): MediaHandler {
  const { storage, signer } = options;
  const clock = options.clock ?? systemClock;
  const pathPrefix = options.pathPrefix ?? '/v1/media/';

  const objectHeaders = (info: StoredObjectInfo, claims: MediaClaims, now: number): Headers => {
    const maxAge = Math.max(0, Math.floor((claims.expiresAt - now) / 1000));
    const headers = new Headers({
      'Content-Type': info.mediaType,
      'Cache-Control': `private, max-age=${maxAge}`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Accept-Ranges': 'bytes',
    });
    if (info.etag) headers.set('ETag', info.etag);
    if (info.createdAt) headers.set('Last-Modified', info.createdAt.toUTCString());
    return headers;
  };

  /** The stored object must still be the one the token was issued for. */
  const matchesClaims = (info: StoredObjectInfo, claims: MediaClaims) =>
    info.mediaType === claims.mediaType &&
    (info.metadata.tenant === undefined || info.metadata.tenant === claims.tenantId);

  const handle = async (
    request: Request,
    token: string,
    handleOptions: MediaHandleOptions = {},
  ): Promise<Response> => {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed();
    const now = clock.now();
    const tenantId = handleOptions.tenantId ?? (await options.resolveTenant?.(request));
    const claims = signer.verify(token, { now, ...(tenantId === undefined ? {} : { tenantId }) });
    if (!claims) return notFound();
    try {
      const rangeHeader = method === 'GET' ? request.headers.get('range') : null;
      const ifNoneMatch = request.headers.get('if-none-match');
      // HEAD, ranges and conditional requests look at the object's facts before opening its bytes.
      if (method === 'HEAD' || rangeHeader || ifNoneMatch) {
        const info = await storage.head(claims.key);
        if (!info || !matchesClaims(info, claims)) return notFound();
        const headers = objectHeaders(info, claims, now);
        if (ifNoneMatch && etagMatches(ifNoneMatch, info.etag))
          return new Response(null, { status: 304, headers });
        const ifRange = request.headers.get('if-range');
        const range =
          rangeHeader && (!ifRange || ifRange === info.etag)
            ? parseRangeHeader(rangeHeader, info.size)
            : undefined;
        if (range === 'unsatisfiable') {
          headers.set('Content-Range', `bytes */${info.size}`);
          headers.set('Content-Length', '0');
          headers.delete('Content-Type');
          return new Response(null, { status: 416, headers });
        }
        if (method === 'HEAD') {
          headers.set('Content-Length', String(info.size));
          return new Response(null, { status: 200, headers });
        }
        const object = await storage.get(claims.key, range ? { range } : undefined);
        if (!object || object.info.etag !== info.etag) {
          await object?.body.cancel().catch(() => {});
          return notFound();
        }
        if (!range) {
          headers.set('Content-Length', String(object.info.size));
          return new Response(object.body, { status: 200, headers });
        }
        const served = object.range ?? range;
        headers.set('Content-Range', `bytes ${served.start}-${served.end}/${object.info.size}`);
        headers.set('Content-Length', String(served.end - served.start + 1));
        return new Response(object.body, { status: 206, headers });
      }
      const object = await storage.get(claims.key);
      if (!object || !matchesClaims(object.info, claims)) {
        await object?.body.cancel().catch(() => {});
        return notFound();
      }
      const headers = objectHeaders(object.info, claims, now);
      headers.set('Content-Length', String(object.info.size));
      return new Response(object.body, { status: 200, headers });
    } catch (error) {
      if (GatewayError.isInstance(error) && (error.status === 416 || error.status === 400)) return notFound();
      return unavailable(error);
    }
  };

  return {
    handle,
    async fetch(request: Request): Promise<Response> {
      let pathname: string;
      try {
        pathname = new URL(request.url).pathname;
      } catch {
        return notFound();
      }
      if (!pathname.startsWith(pathPrefix)) return notFound();
      const token = pathname.slice(pathPrefix.length);
      if (token.length === 0 || token.includes('/')) return notFound();
      return handle(request, token);
    },
  };
}

import { GatewayError } from '../errors/gateway-error.ts';
import type { HeaderReader } from './http-exchange.ts';

/**
 * Cross-origin settings. Off unless configured: a gateway holding API keys should not be callable
 * from any web page by default, and browsers calling it directly is the exception.
 */
export interface CorsOptions {
  /** Allowed origins: `'*'`, exact origins (`https://app.example.com`), or a predicate. */
  origins: '*' | string[] | ((origin: string) => boolean);
  /** Send `Access-Control-Allow-Credentials: true` (cookies); not allowed together with `'*'`. */
  allowCredentials?: boolean;
  /**
   * Request headers a browser may send. Default: whatever the preflight asks for (OpenAI's SDK
   * sends many `x-stainless-*` headers), for allowed origins only.
   */
  allowHeaders?: string[];
  /** How long a browser may cache a preflight, in seconds (default 600). */
  maxAgeSeconds?: number;
}

/** Headers a browser script may read from responses: request id, rate limits, retry hints. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-images',
  'x-ratelimit-remaining-images',
  'x-ratelimit-reset-images',
].join(', ');

/** The CORS policy the handler applies; built once from {@link CorsOptions}. */
export interface CorsPolicy {
  /** The CORS headers of an actual response to a request with these headers (lower-case names). */
  responseHeaders(requestHeaders: HeaderReader): Record<string, string>;
  /** The headers of the preflight answer (204) to a request with these headers (lower-case names). */
  preflightHeaders(requestHeaders: HeaderReader, allowedMethods: string): Record<string, string>;
  /** The preflight answer for an `OPTIONS` request with `Access-Control-Request-Method`. */
  preflight(request: Request, allowedMethods: string): Response;
  /** Adds CORS headers to an actual response (no-op for disallowed or absent origins). */
  apply(request: Request, headers: Headers): void;
}

/**
 * Validates CORS options at startup and returns the policy.
 * @throws GatewayError CONFIGURATION_ERROR for an invalid combination.
 */
export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  const { origins } = options;
  if (origins !== '*' && typeof origins !== 'function' && !Array.isArray(origins)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      "cors.origins must be '*', a list of origins or a function.",
      { param: 'cors.origins' },
    );
  }
  if (Array.isArray(origins)) {
    for (const origin of origins) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.origin !== origin) {
        throw new GatewayError(
          'CONFIGURATION_ERROR',
          `cors.origins: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash).`,
          {
            param: 'cors.origins',
          },
        );
      }
    }
  }
  if (origins === '*' && options.allowCredentials) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      "cors.allowCredentials cannot be used with origins '*'; list the origins.",
      {
        param: 'cors.allowCredentials',
      },
    );
  }
  const maxAge = options.maxAgeSeconds ?? 600;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 86_400) {
    throw new GatewayError('CONFIGURATION_ERROR', 'cors.maxAgeSeconds must be an integer from 0 to 86400.', {
      param: 'cors.maxAgeSeconds',
    });
  }
  const allowed = (origin: string): boolean =>
    origins === '*' ? true : typeof origins === 'function' ? origins(origin) : origins.includes(origin);

  /** Sets the origin headers when the origin is allowed; says whether it was. */
  const allowOrigin = (requestHeaders: HeaderReader, headers: Record<string, string>): boolean => {
    const origin = requestHeaders.get('origin');
    if (origins !== '*') headers.vary = 'Origin';
    if (!origin || !allowed(origin)) return false;
    headers['access-control-allow-origin'] = origins === '*' ? '*' : origin;
    if (options.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    return true;
  };

  const preflightHeaders = (requestHeaders: HeaderReader, allowedMethods: string) => {
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (allowOrigin(requestHeaders, headers)) {
      headers['access-control-allow-methods'] = allowedMethods;
      const requested = requestHeaders.get('access-control-request-headers');
      const allowHeaders = options.allowHeaders?.join(', ') ?? requested;
      if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
      if (!options.allowHeaders) {
        headers.vary = headers.vary
          ? `${headers.vary}, Access-Control-Request-Headers`
          : 'Access-Control-Request-Headers';
      }
      headers['access-control-max-age'] = String(maxAge);
    }
    return headers;
  };

  const responseHeaders = (requestHeaders: HeaderReader) => {
    const headers: Record<string, string> = {};
    if (allowOrigin(requestHeaders, headers)) headers['access-control-expose-headers'] = EXPOSED_HEADERS;
    return headers;
  };

  return {
    responseHeaders,
    preflightHeaders,
    preflight(request, allowedMethods) {
      return new Response(null, { status: 204, headers: preflightHeaders(request.headers, allowedMethods) });
    },
    apply(request, headers) {
      for (const [name, value] of Object.entries(responseHeaders(request.headers))) {
        if (name === 'vary') headers.append(name, value);
        else headers.set(name, value);
      }
    },
  };
}

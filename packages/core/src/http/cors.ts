import { GatewayError } from '../errors/gateway-error.ts';

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

  const allowOrigin = (request: Request, headers: Headers): boolean => {
    const origin = request.headers.get('origin');
    if (origins !== '*') headers.append('Vary', 'Origin');
    if (!origin || !allowed(origin)) return false;
    headers.set('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    if (options.allowCredentials) headers.set('Access-Control-Allow-Credentials', 'true');
    return true;
  };

  return {
    preflight(request, allowedMethods) {
      const headers = new Headers({ 'Cache-Control': 'no-store' });
      if (allowOrigin(request, headers)) {
        headers.set('Access-Control-Allow-Methods', allowedMethods);
        const requested = request.headers.get('access-control-request-headers');
        const allowHeaders = options.allowHeaders?.join(', ') ?? requested;
        if (allowHeaders) headers.set('Access-Control-Allow-Headers', allowHeaders);
        if (!options.allowHeaders) headers.append('Vary', 'Access-Control-Request-Headers');
        headers.set('Access-Control-Max-Age', String(maxAge));
      }
      return new Response(null, { status: 204, headers });
    },
    apply(request, headers) {
      if (allowOrigin(request, headers)) headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    },
  };
}

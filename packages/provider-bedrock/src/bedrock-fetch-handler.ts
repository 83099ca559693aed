/**
 * An AWS SDK request handler that sends through a `fetch` function: the plugin's test seam (and a
 * place for proxies or instrumentation), the same one every pixelgate provider has. The SDK still
 * signs each request with SigV4 before it reaches here; this only moves bytes, reads the answer
 * with a size cap, and hands the SDK a buffered body it parses as usual.
 */
import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { type FetchFunction, readBodyBytes } from '@pixelgate/core/provider-utils';

/** The request handler type the Bedrock client accepts. */
export type BedrockRequestHandler = NonNullable<BedrockRuntimeClientConfig['requestHandler']>;

/** The parts of the SDK's HttpRequest the handler reads. */
interface SignedRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

function urlOf(request: SignedRequest): string {
  const port = request.port ? `:${request.port}` : '';
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) =>
      value === null
        ? [encodeURIComponent(name)]
        : (Array.isArray(value) ? value : [value]).map(
            (item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`,
          ),
    )
    .join('&');
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/**
 * Builds a handler that performs each signed request with `fetch`, aborting on the SDK's signal,
 * and refuses answers larger than `maxResponseBytes`.
 */
export function createFetchRequestHandler(options: {
  fetch: FetchFunction;
  maxResponseBytes: number;
  provider: string;
}): BedrockRequestHandler {
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: SignedRequest, handlerOptions?: { abortSignal?: AbortSignal }) {
      const headers = { ...request.headers };
      // fetch sets host itself; the signed value is the same host and port.
      delete headers.host;
      const body = request.body as BodyInit | undefined;
      const response = await options.fetch(urlOf(request), {
        method: request.method,
        headers,
        ...(body === undefined || request.method === 'GET' ? {} : { body }),
        ...(handlerOptions?.abortSignal ? { signal: handlerOptions.abortSignal } : {}),
      });
      const bytes = await readBodyBytes(response, {
        provider: options.provider,
        maxBytes: options.maxResponseBytes,
        signal: handlerOptions?.abortSignal,
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value;
      });
      return {
        response: {
          statusCode: response.status,
          reason: response.statusText,
          headers: responseHeaders,
          body: bytes,
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return handler as unknown as BedrockRequestHandler;
}

/**
 * What both Stability API generations share on the wire: the resolved settings of one provider
 * instance, the POST with this package's error mapping, request headers, and reading a failed or
 * malformed answer without quoting it.
 */
import {
  BackendError,
  type FetchFunction,
  loadApiKey,
  type ProviderCall,
  type ProviderCallContext,
  providerFetch,
  readBodyBytes,
} from '@pixelgate/core/provider-utils';
import { mapStabilityError } from './stability-error.ts';
import { VERSION } from './version.ts';

/** One provider instance's settings, checked and resolved once by the factory. */
export interface StabilityClient {
  id: string;
  baseURL: string;
  /** Lower-cased extra headers, checked against the reserved ones. */
  extraHeaders: Record<string, string>;
  contentFilter: 'fail' | 'flag';
  responseFormat: 'image' | 'json';
  maxResponseBytes: number;
  apiKey: string | undefined;
  fetch: FetchFunction | undefined;
}

/** One image as Stability answered it, before the safety policy and the checks. */
export interface RawImage {
  bytes: Uint8Array;
  finishReason: string;
  seed?: number;
}

const MAX_ERROR_BODY_BYTES = 256 * 1024;

/** The key for this call: the tenant's own (bring-your-own-key), else the configured one. */
export function resolveApiKey(client: StabilityClient, context: ProviderCallContext): string {
  return (
    context.credentials?.apiKey ??
    loadApiKey({ apiKey: client.apiKey, environmentVariable: 'STABILITY_API_KEY', provider: client.id })
  );
}

/** Every secret that must never reach an error message for this call. */
export function secretsOf(client: StabilityClient, apiKey: string): string[] {
  return [apiKey, ...(client.apiKey ? [client.apiKey] : [])];
}

/** Reads the body of a failed answer without ever failing itself (a cut body is still an error answer). */
async function errorBodyText(response: Response, provider: string, signal: AbortSignal): Promise<string> {
  try {
    const bytes = await readBodyBytes(response, { provider, maxBytes: MAX_ERROR_BODY_BYTES, signal });
    return new TextDecoder().decode(bytes);
  } catch (error) {
    if (signal.aborted) throw error;
    return '';
  }
}

/** POSTs to Stability; a non-2xx answer becomes this package's mapped BackendError. */
export async function postToStability(
  client: StabilityClient,
  path: string,
  init: { body: BodyInit; headers: Record<string, string> },
  context: ProviderCallContext,
  secrets: string[],
  optionKeys: string[],
): Promise<Response> {
  const response = await providerFetch(
    `${client.baseURL}${path}`,
    { method: 'POST', body: init.body, headers: init.headers },
    { provider: client.id, fetch: client.fetch, signal: context.signal, secrets },
  );
  if (response.ok) return response;
  const bodyText = await errorBodyText(response, client.id, context.signal);
  throw mapStabilityError({
    provider: client.id,
    status: response.status,
    headers: response.headers,
    bodyText,
    secrets,
    optionKeys,
  });
}

/** A `malformed_response` for an answer that is not what Stability documents (never quoting it). */
export function malformedAnswer(
  provider: string,
  message: string,
  response: Response,
  cause?: unknown,
): BackendError {
  const upstreamRequestId = response.headers.get('x-request-id') ?? undefined;
  return new BackendError(`${provider}: ${message}`, {
    reason: 'malformed_response',
    provider,
    upstreamStatus: response.status,
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The headers of one call: the user id for Stability's abuse tracking, the client's own, the key. */
export function requestHeaders(
  client: StabilityClient,
  apiKey: string,
  accept: string,
  call: ProviderCall,
): Record<string, string> {
  return {
    ...(call.user !== undefined && !('stability-client-user-id' in client.extraHeaders)
      ? { 'stability-client-user-id': call.user }
      : {}),
    'user-agent': `pixelgate-provider-stability/${VERSION}`,
    ...client.extraHeaders,
    authorization: `Bearer ${apiKey}`,
    accept,
  };
}

/** Options for reading a success body with the instance's size cap. */
export function readOptionsFor(client: StabilityClient, response: Response, context: ProviderCallContext) {
  return {
    provider: client.id,
    maxBytes: client.maxResponseBytes,
    signal: context.signal,
    upstreamRequestId: response.headers.get('x-request-id') ?? undefined,
  };
}

/** The `seed` header of a raw-image answer, when it is a valid seed. */
export function parseSeedHeader(value: string | null): number | undefined {
  if (value === null || !/^\d{1,10}$/.test(value.trim())) return undefined;
  const seed = Number(value.trim());
  return seed <= 4_294_967_295 ? seed : undefined;
}

/** A raw-image answer (`accept: image/*`): bytes in the body, finish reason and seed in headers. */
export function rawImageFromHeaders(bytes: Uint8Array, response: Response): RawImage {
  const seed = parseSeedHeader(response.headers.get('seed'));
  // A missing finish-reason header (some self-hosted servers) is read as SUCCESS: it carries no
  // evidence of filtering. A present one is always honoured.
  return {
    bytes,
    finishReason: response.headers.get('finish-reason')?.trim().toUpperCase() || 'SUCCESS',
    ...(seed === undefined ? {} : { seed }),
  };
}

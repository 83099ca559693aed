import { BackendError, GatewayError } from '../../errors/gateway-error.ts';
import { redactSecrets } from '../../shared/redact.ts';
import { abortErrorFrom } from './abort.ts';

/** The fetch function shape plugins accept as their test seam. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Settings of one upstream HTTP exchange. */
export interface ProviderFetchOptions {
  /** The provider id, for error messages. */
  provider: string;
  /** The fetch implementation (the plugin's seam); defaults to the global fetch. */
  fetch?: FetchFunction | undefined;
  /** Aborts the exchange (caller abort or deadline). */
  signal?: AbortSignal | undefined;
  /** Secrets that must never appear in an error message (API keys, tokens). */
  secrets?: ReadonlyArray<string | undefined>;
}

/**
 * Performs a fetch and normalizes what can go wrong before any status is known: a fired signal
 * becomes TIMEOUT or ABORTED, a refused or reset connection becomes a retryable BackendError
 * (`upstream_unavailable`). HTTP statuses are left to the plugin's own error mapper.
 */
export async function providerFetch(
  url: string | URL,
  init: RequestInit,
  options: ProviderFetchOptions,
): Promise<Response> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (options.signal?.aborted) throw abortErrorFrom(options.signal, options.provider);
  try {
    return await fetchImpl(url, { ...init, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if (options.signal?.aborted) throw abortErrorFrom(options.signal, options.provider);
    if (GatewayError.isInstance(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { cause?: { code?: string } }).cause?.code;
    throw new BackendError(
      `Could not reach ${options.provider}: ${redactSecrets(message, options.secrets ?? [])}${code ? ` (${code})` : ''}.`,
      { reason: 'upstream_unavailable', provider: options.provider, cause: error },
    );
  }
}

/** Limits for reading an upstream body. */
export interface ReadBodyOptions {
  provider: string;
  /** Refuse bodies larger than this many bytes (default 64 MiB). */
  maxBytes?: number;
  signal?: AbortSignal | undefined;
  /** The upstream request id, kept on errors. */
  upstreamRequestId?: string | undefined;
}

/**
 * Reads a response body into one buffer with a size cap, without the intermediate copies of
 * `arrayBuffer()` on chunked bodies growing unbounded. A body cut short (connection reset) or over
 * the cap is a BackendError `malformed_response`, never a half image.
 */
export async function readBodyBytes(response: Response, options: ReadBodyOptions): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new BackendError(
      `${options.provider} answered with ${declared} bytes, over the ${maxBytes}-byte limit.`,
      {
        reason: 'malformed_response',
        provider: options.provider,
        upstreamStatus: response.status,
        ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
      },
    );
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new BackendError(`${options.provider} answered with more than ${maxBytes} bytes.`, {
          reason: 'malformed_response',
          provider: options.provider,
          upstreamStatus: response.status,
          ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
        });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    if (options.signal?.aborted) throw abortErrorFrom(options.signal, options.provider);
    throw new BackendError(`${options.provider}'s answer was cut short.`, {
      reason: 'malformed_response',
      provider: options.provider,
      upstreamStatus: response.status,
      ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
      cause: error,
    });
  }
  if (Number.isFinite(declared) && declared !== total) {
    throw new BackendError(`${options.provider}'s answer was cut short (${total} of ${declared} bytes).`, {
      reason: 'malformed_response',
      provider: options.provider,
      upstreamStatus: response.status,
      ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
    });
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads and parses a JSON body with the same cap and truncation checks. Invalid JSON is a
 * BackendError `malformed_response` (retryable), with no body text in the message.
 */
export async function readJsonBody(response: Response, options: ReadBodyOptions): Promise<unknown> {
  const bytes = await readBodyBytes(response, options);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BackendError(`${options.provider} answered with a body that is not valid JSON.`, {
      reason: 'malformed_response',
      provider: options.provider,
      upstreamStatus: response.status,
      ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
      cause: error,
    });
  }
}

/**
 * Decodes base64 exactly once into bytes, without an extra copy (the Buffer is returned as the
 * Uint8Array it already is). Rejects text that is not base64 instead of decoding garbage.
 */
export function decodeBase64(value: string, provider: string): Uint8Array {
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(value.length > 256 ? value.slice(-256) : value)) {
    throw new BackendError(`${provider} returned image data that is not base64.`, {
      reason: 'malformed_response',
      provider,
    });
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.byteLength === 0 && value.length > 0) {
    throw new BackendError(`${provider} returned empty image data.`, {
      reason: 'malformed_response',
      provider,
    });
  }
  return bytes;
}

/**
 * Reads a required API key from the explicit setting or an environment variable, failing with a
 * CONFIGURATION_ERROR that names both places to set it (never the value).
 */
export function loadApiKey(options: {
  apiKey?: string | undefined;
  /** One variable, or several tried in order (Google documents both GEMINI_API_KEY and GOOGLE_API_KEY). */
  environmentVariable: string | readonly string[];
  provider: string;
}): string {
  const names =
    typeof options.environmentVariable === 'string'
      ? [options.environmentVariable]
      : options.environmentVariable;
  const key =
    options.apiKey ??
    names.map((name) => process.env[name]).find((value) => value !== undefined && value !== '');
  if (!key) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${options.provider}: no API key. Pass apiKey to the provider factory or set ${names.join(' or ')}.`,
      { provider: options.provider },
    );
  }
  return key;
}

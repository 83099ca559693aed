import { randomUUID } from 'node:crypto';
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
 * (`upstream_unavailable`), and so does a redirect (see {@link redirectRefused}). HTTP statuses are
 * left to the plugin's own error mapper.
 *
 * Redirects are refused unless `init.redirect` says otherwise. The default is `redirect: 'error'`
 * with `window: null` because that is also the one combination for which undici's fetch neither
 * copies the request nor tees its body on every call (measured: about a third of fetch's own CPU
 * on a small JSON exchange). The price is that undici does not hand over the refused response, so
 * its Location is unknown and the error names the host that was called instead.
 */
export async function providerFetch(
  url: string | URL,
  init: RequestInit,
  options: ProviderFetchOptions,
): Promise<Response> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (options.signal?.aborted) throw abortErrorFrom(options.signal, options.provider);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      redirect: 'error',
      window: null,
      ...init,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw abortErrorFrom(options.signal, options.provider);
    if (GatewayError.isInstance(error)) throw error;
    if (isUnexpectedRedirect(error)) throw redirectRefused(options.provider, `from '${hostOf(url)}'`);
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { cause?: { code?: string } }).cause?.code;
    throw new BackendError(
      `Could not reach ${options.provider}: ${redactSecrets(message, options.secrets ?? [])}${code ? ` (${code})` : ''}.`,
      { reason: 'upstream_unavailable', provider: options.provider, cause: error },
    );
  }
  // A fetch seam that does not implement `redirect: 'error'` hands the redirect back instead.
  if (init.redirect === undefined && REDIRECT_STATUSES.has(response.status)) {
    await response.body?.cancel().catch(() => {});
    throw redirectRefused(
      options.provider,
      `(${response.status}) to ${locationHost(response)}`,
      response.status,
    );
  }
  return response;
}

/** The statuses fetch would follow (304 Not Modified is not a redirect). */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** undici's refusal under `redirect: 'error'`: a TypeError whose cause says 'unexpected redirect'. */
function isUnexpectedRedirect(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof Error && cause.message === 'unexpected redirect';
}

/** The host (never the path or query, which may carry tokens) of a URL, quoted for a message. */
function hostOf(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an unreadable URL';
  }
}

function locationHost(response: Response): string {
  const location = response.headers.get('location');
  if (!location) return 'an unnamed place';
  try {
    return `'${new URL(location, response.url || undefined).host}'`;
  } catch {
    return 'an unreadable Location';
  }
}

/**
 * A provider API never redirects its calls; one that does points at a wrong `baseURL` or at
 * something in between. Following it would send the request, API key headers included (fetch drops
 * only `authorization` across origins), wherever the Location says, so it is refused.
 */
function redirectRefused(provider: string, where: string, upstreamStatus?: number): BackendError {
  return new BackendError(
    `${provider} answered with a redirect ${where}; provider calls never follow redirects, check the provider's baseURL.`,
    { reason: 'upstream_unavailable', provider, ...(upstreamStatus === undefined ? {} : { upstreamStatus }) },
  );
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
    return parseJsonBytes(bytes);
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

/** Bodies smaller than this are parsed the plain way: there is nothing big to lift out. */
const LIFT_MIN_BODY_BYTES = 256 * 1024;
/** String values at least this long are lifted out of the text handed to JSON.parse. */
const LIFT_MIN_STRING_BYTES = 16 * 1024;
/** Past this many string literals the scan stops lifting, so a body of many small strings costs little extra. */
const LIFT_MAX_STRINGS = 4096;
/** Stands in for a lifted value; random per process, so a body cannot contain it by design. */
const LIFT_MARKER = `pixelgate-lifted-${randomUUID()}-`;

/**
 * Whether every byte is printable ASCII (0x20-0x7f): such a run, with no quote or backslash, is a
 * JSON string's contents exactly as they read. JSON forbids raw control characters in strings and
 * non-ASCII needs UTF-8 decoding, so those runs are left to JSON.parse. Four bytes at a time: a
 * word has a byte under 0x20 or over 0x7f exactly when `((word - 0x20202020) | word) & 0x80808080`
 * is not zero (the borrow of a low byte can only reach a higher byte when that low byte is under
 * 0x20 already).
 */
function isPrintableAscii(bytes: Uint8Array, start: number, end: number): boolean {
  let index = start;
  const absoluteStart = bytes.byteOffset + start;
  const aligned = Math.min(end, index + ((4 - (absoluteStart % 4)) % 4));
  for (; index < aligned; index++) {
    const byte = bytes[index]!;
    if (byte < 0x20 || byte > 0x7f) return false;
  }
  const words = Math.floor((end - index) / 4);
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + index, words);
    for (let word = 0; word < words; word++) {
      const value = view[word]!;
      if (((value - 0x20202020) | value) & 0x80808080) return false;
    }
    index += words * 4;
  }
  for (; index < end; index++) {
    const byte = bytes[index]!;
    if (byte < 0x20 || byte > 0x7f) return false;
  }
  return true;
}

function isJsonWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * `JSON.parse` of a UTF-8 body, without turning megabytes of base64 into one text and scanning
 * it twice. Image APIs answer with JSON whose bulk is a few huge base64 strings: decoding the whole
 * body to text and parsing it costs two passes over every byte plus a copy the size of the body.
 * Here each long string value that needs no unescaping (no backslash, ASCII, no control character,
 * so its JSON value is exactly its bytes) is sliced straight from the bytes and replaced by a
 * short marker in the text JSON.parse sees; a reviver puts the slices back. The result is the same
 * value JSON.parse would give, and a body JSON.parse would refuse is still refused: the lifted
 * parts are valid string contents by construction, everything else is parsed as before.
 */
function parseJsonBytes(bytes: Uint8Array): unknown {
  const decoder = new TextDecoder();
  if (bytes.byteLength < LIFT_MIN_BODY_BYTES) return JSON.parse(decoder.decode(bytes));
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  const lifted: string[] = [];
  const parts: string[] = [];
  let copiedUpTo = 0;
  let position = 0;
  for (let strings = 0; strings < LIFT_MAX_STRINGS; strings++) {
    // Outside a string every quote opens one; inside, the first quote not escaped closes it.
    const open = buffer.indexOf(QUOTE, position);
    if (open < 0) break;
    let close = open;
    for (;;) {
      close = buffer.indexOf(QUOTE, close + 1);
      if (close < 0) break;
      let backslashes = 0;
      while (buffer[close - 1 - backslashes] === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    if (close < 0) break;
    position = close + 1;
    if (close - open - 1 < LIFT_MIN_STRING_BYTES) continue;
    const backslash = buffer.indexOf(BACKSLASH, open + 1);
    if (backslash >= 0 && backslash < close) continue;
    // Keys stay in place: only values are lifted (a key is followed by a colon).
    let after = close + 1;
    while (isJsonWhitespace(buffer[after])) after++;
    if (buffer[after] === 0x3a) continue;
    if (!isPrintableAscii(bytes, open + 1, close)) continue;
    const value = decoder.decode(bytes.subarray(open + 1, close));
    // Pieces end and start at a quote, so no UTF-8 sequence is split between two decodes.
    parts.push(decoder.decode(bytes.subarray(copiedUpTo, open + 1)), `${LIFT_MARKER}${lifted.length}`);
    lifted.push(value);
    copiedUpTo = close;
  }
  if (lifted.length === 0) return JSON.parse(decoder.decode(bytes));
  parts.push(decoder.decode(bytes.subarray(copiedUpTo)));
  // A body that already holds the marker text (outside the lifted values) is parsed the plain way.
  if (parts.some((part, index) => index % 2 === 0 && part.includes(LIFT_MARKER)))
    return JSON.parse(decoder.decode(bytes));
  return JSON.parse(parts.join(''), (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(LIFT_MARKER)) return value;
    return lifted[Number(value.slice(LIFT_MARKER.length))] ?? value;
  });
}

/** How many bytes `text` must decode to when every character is base64 (padding included). */
function decodedLength(text: string): number {
  let end = text.length;
  if (text.charCodeAt(end - 1) === 0x3d) end--;
  if (text.charCodeAt(end - 1) === 0x3d) end--;
  return end % 4 === 1 ? -1 : Math.floor((end * 3) / 4);
}

/**
 * Decodes base64 exactly once into bytes, without an extra copy (the Buffer is returned as the
 * Uint8Array it already is), and rejects anything that is not base64 as `malformed_response`.
 * Node's decoder skips characters it does not know and stops at a misplaced `=`, so junk anywhere
 * in the text shows as fewer bytes than the text's length promises: that comparison checks the
 * whole string at no extra pass. Node also accepts the URL-safe `-` and `_`, which a standard
 * base64 answer never holds (two `indexOf` scans). Only text with whitespace (line-wrapped base64,
 * which is valid) takes a slower path that checks every character.
 */
export function decodeBase64(value: string, provider: string): Uint8Array {
  const notBase64 = () =>
    new BackendError(`${provider} returned image data that is not base64.`, {
      reason: 'malformed_response',
      provider,
    });
  const bytes = Buffer.from(value, 'base64');
  if (value.indexOf('-') !== -1 || value.indexOf('_') !== -1) throw notBase64();
  if (bytes.byteLength !== decodedLength(value)) {
    const compact = value.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || bytes.byteLength !== decodedLength(compact)) {
      throw notBase64();
    }
  }
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

import { GatewayError } from '../errors/gateway-error.ts';
import type { HeaderReader } from './http-exchange.ts';

/** Default request body limit: generous for prompts and metadata, far below anything abusive. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The 413 for a body over `limit` bytes. */
export function payloadTooLarge(limit: number): GatewayError {
  return new GatewayError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than the ${limit} bytes this server accepts.`,
    {
      details: { limit_bytes: limit },
    },
  );
}

/**
 * Checks that a request declares a JSON body (`application/json`, optionally `charset=utf-8`).
 * A request with another type is answered 415 before its body is read.
 */
export function checkJsonContentType(request: { readonly headers: HeaderReader }): void {
  const header = request.headers.get('content-type');
  const [mediaType = '', ...parameters] = (header ?? '').split(';');
  const type = mediaType.trim().toLowerCase();
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      header
        ? `Unsupported Content-Type '${header.slice(0, 100)}'; send the body as application/json (UTF-8).`
        : 'Missing Content-Type; send the body as application/json (UTF-8).',
      { status: 415, details: { header: 'content-type', accepted: ['application/json'] } },
    );
  }
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; otherwise bytes are counted as they stream in and reading stops (the stream is
 * cancelled) at the first byte over the limit, so an oversize or endless body never fills memory.
 * @throws GatewayError PAYLOAD_TOO_LARGE (413), or ABORTED when the client goes away mid-body.
 */
export async function readRequestBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    throw payloadTooLarge(limit);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw payloadTooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    throw new GatewayError(
      'ABORTED',
      'The request body could not be read to the end (the client went away).',
      { cause: error },
    );
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses a JSON object body. Every failure is a 400 VALIDATION_ERROR that says what was wrong
 * without quoting the body (it may hold a prompt or a secret), never a 500.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength === 0) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'The request body is empty; send a JSON object such as {"prompt": "..."}.',
    );
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new GatewayError('VALIDATION_ERROR', 'The request body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'The request body is not valid JSON; send a JSON object such as {"prompt": "..."}.',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `The request body must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}.`,
    );
  }
  return value as Record<string, unknown>;
}

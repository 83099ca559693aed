import { createHash } from 'node:crypto';
import {
  type Authenticate,
  type FetchHandler,
  GatewayError,
  toNativeErrorEnvelope,
  toOpenAIErrorEnvelope,
} from '@pixelgate/core';
import type { Redis } from 'ioredis';

/** Options of {@link createIdempotency}. */
export interface IdempotencyOptions {
  redis: Redis;
  /** Key prefix per deployment (default `pixelgate:`). */
  prefix?: string;
  /** How long a response is kept for replay (default 24 h). */
  ttlSeconds?: number;
  /** How long a request in progress holds its key before another may take over (default 10 min). */
  lockSeconds?: number;
  /** How long a duplicate waits for the first request to finish (default 2 min). */
  waitTimeoutMs?: number;
  /** Largest request body read for the fingerprint (default 64 MiB; larger bodies are refused with 413). */
  maxBodyBytes?: number;
}

/** What is kept per key: the request's fingerprint, and once finished, the response to replay. */
interface Entry {
  fingerprint: string;
  state: 'pending' | 'done';
  status?: number;
  headers?: Array<[string, string]>;
  body?: string;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` for POST routes (the IETF httpapi draft and Stripe's behaviour): the first
 * request with a key runs and its response is kept; a retry with the same key and body gets the
 * same response replayed (`Idempotent-Replayed: true`) without running again, so a retried POST
 * never bills twice; concurrent duplicates wait for the first; the same key with a different body
 * is a 409. Keys are scoped per tenant. Responses that invite a retry (429, 5xx) are not kept.
 */
export function createIdempotency(options: IdempotencyOptions) {
  const prefix = options.prefix ?? 'pixelgate:';
  const ttlMs = (options.ttlSeconds ?? 86_400) * 1000;
  const lockMs = (options.lockSeconds ?? 600) * 1000;
  const waitTimeoutMs = options.waitTimeoutMs ?? 120_000;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;

  const wrap = (handler: FetchHandler, authenticate: Authenticate): FetchHandler => {
    return async (request) => {
      const key = request.headers.get('idempotency-key');
      if (request.method !== 'POST' || key === null) return handler(request);
      const native = new URL(request.url).pathname.includes('/v1/inference/');
      try {
        if (!KEY_PATTERN.test(key)) {
          throw new GatewayError(
            'VALIDATION_ERROR',
            'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).',
            { param: 'Idempotency-Key' },
          );
        }
        const tenant = await authenticate(request.clone());
        if (!tenant) return handler(request); // the handler answers 401 in its own words
        const body = await readBounded(request, maxBodyBytes);
        const url = new URL(request.url);
        const fingerprint = sha256(`${url.pathname}\n${request.headers.get('content-type') ?? ''}\n`, body);
        const redisKey = `${prefix}idempotency:{${tenant.tenantId}}:${sha256(key)}`;
        const replay = () => new Request(request, { body });
        return await run(redisKey, fingerprint, () => handler(replay()));
      } catch (error) {
        return errorResponse(error, native);
      }
    };
  };

  const run = async (
    redisKey: string,
    fingerprint: string,
    execute: () => Promise<Response>,
  ): Promise<Response> => {
    const pending: Entry = { fingerprint, state: 'pending' };
    const taken = await options.redis.set(redisKey, JSON.stringify(pending), 'PX', lockMs, 'NX');
    if (taken === 'OK') return executeAndKeep(redisKey, fingerprint, execute);
    return waitAndReplay(redisKey, fingerprint, execute);
  };

  const executeAndKeep = async (redisKey: string, fingerprint: string, execute: () => Promise<Response>) => {
    let response: Response;
    try {
      response = await execute();
    } catch (error) {
      await options.redis.del(redisKey);
      throw error;
    }
    if (response.status === 429 || response.status >= 500) {
      await options.redis.del(redisKey);
      return response;
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const entry: Entry = {
      fingerprint,
      state: 'done',
      status: response.status,
      headers: [...response.headers],
      body: Buffer.from(bytes).toString('base64'),
    };
    await options.redis.set(redisKey, JSON.stringify(entry), 'PX', ttlMs);
    return rebuild(entry, false);
  };

  const waitAndReplay = async (redisKey: string, fingerprint: string, execute: () => Promise<Response>) => {
    const deadline = Date.now() + waitTimeoutMs;
    let delay = 20;
    for (;;) {
      const text = await options.redis.get(redisKey);
      if (text === null) return run(redisKey, fingerprint, execute); // the first failed or expired: take over
      const entry = JSON.parse(text) as Entry;
      if (entry.fingerprint !== fingerprint) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          'This Idempotency-Key was used with a different request; use a new key for a new request.',
          { param: 'Idempotency-Key', status: 409 },
        );
      }
      if (entry.state === 'done') return rebuild(entry, true);
      if (Date.now() >= deadline) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          'A request with this Idempotency-Key is still in progress; retry later with the same key.',
          { param: 'Idempotency-Key', status: 409, retryAfterMs: 1000 },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 250);
    }
  };

  return { wrap };
}

function rebuild(entry: Entry, replayed: boolean): Response {
  const headers = new Headers(entry.headers);
  headers.set('idempotent-replayed', String(replayed));
  return new Response(Buffer.from(entry.body ?? '', 'base64'), { status: entry.status ?? 200, headers });
}

async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `The request body is over ${maxBytes} bytes.`, {
    status: 413,
  });
}

function sha256(...parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function errorResponse(thrown: unknown, native: boolean): Response {
  const error = GatewayError.isInstance(thrown)
    ? thrown
    : new GatewayError('INTERNAL_ERROR', 'The server could not complete the request.');
  const body = native ? toNativeErrorEnvelope(error) : toOpenAIErrorEnvelope(error);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

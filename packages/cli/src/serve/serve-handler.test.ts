import { describe, expect, it } from 'vitest';
import type { AnsweredRequest } from './request-log.ts';
import { serveHandler } from './serve-handler.ts';

const EXCHANGE_HANDLER = Symbol.for('pixelgate.http.exchange-handler');

type Reply = { status: number; headers: Record<string, string>; body?: Uint8Array[] };
type Router = (exchange: { method: string; pathname: string }) => Promise<Reply>;

/** A stand-in for core's handler: a fetch function carrying a runtime-neutral router. */
function innerWithRouter(router: Router) {
  const fetchHandler = async () => new Response('fetch path', { status: 299 });
  return Object.assign(fetchHandler, { [EXCHANGE_HANDLER]: router });
}

function layers() {
  const logged: Array<Omit<AnsweredRequest, 'errorBody'> & { errorBody: string | undefined }> = [];
  return {
    logged,
    ops: async (method: string, pathname: string) =>
      (method === 'GET' || method === 'HEAD') && pathname === '/healthz'
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }
        : undefined,
    logRequest: async (answered: AnsweredRequest) => {
      logged.push({ ...answered, errorBody: await answered.errorBody() });
    },
  };
}

describe('serveHandler', () => {
  it('keeps the fast path: the router it carries answers the operations routes and logs the rest', async () => {
    const error = new TextEncoder().encode('{"error":{"code":"invalid_size"}}');
    const inner = innerWithRouter(async () => ({
      status: 400,
      headers: { 'x-request-id': 'req_1', 'content-type': 'application/json' },
      body: [error.subarray(0, 10), error.subarray(10)],
    }));
    const seen = layers();
    const handler = serveHandler(inner, seen);
    const router = (handler as unknown as Record<symbol, Router>)[EXCHANGE_HANDLER];
    expect(typeof router).toBe('function');
    const health = await router?.({ method: 'GET', pathname: '/healthz' });
    expect(health?.status).toBe(200);
    expect(Buffer.concat(health?.body ?? []).toString()).toBe('{"status":"ok"}');
    const refused = await router?.({ method: 'POST', pathname: '/v1/images/generations' });
    expect(refused?.status).toBe(400);
    expect(seen.logged).toEqual([
      expect.objectContaining({
        method: 'POST',
        pathname: '/v1/images/generations',
        status: 400,
        requestId: 'req_1',
        errorBody: '{"error":{"code":"invalid_size"}}',
      }),
    ]);
  });

  it('serves a plain fetch handler without inventing a fast path', async () => {
    const seen = layers();
    const handler = serveHandler(
      async () => new Response('{}', { status: 200, headers: { 'x-request-id': 'req_2' } }),
      seen,
    );
    expect((handler as unknown as Record<symbol, unknown>)[EXCHANGE_HANDLER]).toBeUndefined();
    expect((await handler(new Request('http://127.0.0.1/healthz'))).status).toBe(200);
    const head = await handler(new Request('http://127.0.0.1/healthz', { method: 'HEAD' }));
    expect(await head.text()).toBe('');
    await handler(new Request('http://127.0.0.1/v1/models'));
    expect(seen.logged).toEqual([
      expect.objectContaining({ method: 'GET', pathname: '/v1/models', status: 200, requestId: 'req_2' }),
    ]);
  });
});

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError } from '../../errors/gateway-error.ts';
import { providerFetch } from './provider-fetch.ts';

/** A provider-like server: `/moved` redirects elsewhere, `/target` records who reached it. */
let server: Server;
let base: string;
const reachedTarget: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/moved') {
      response.writeHead(307, { location: `${base}/target?token=secret-in-query` });
      response.end('moved');
      return;
    }
    if (request.url === '/moved-away') {
      response.writeHead(301, { location: 'https://other.example:8443/v1/images' });
      response.end();
      return;
    }
    if (request.url === '/not-modified') {
      response.writeHead(304);
      response.end();
      return;
    }
    reachedTarget.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function refusal(promise: Promise<unknown>): Promise<BackendError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BackendError);
  return error as BackendError;
}

const post = { method: 'POST', headers: { 'x-api-key': 'sk-test-key' }, body: '{"prompt":"a cat"}' };

describe('providerFetch and redirects', () => {
  it('refuses a redirect without following it, naming the host called but no path, query or key', async () => {
    const before = reachedTarget.length;
    const error = await refusal(providerFetch(`${base}/moved`, post, { provider: 'acme' }));
    expect(error.reason).toBe('upstream_unavailable');
    expect(error.message).toBe(
      `acme answered with a redirect from '${new URL(base).host}'; provider calls never follow redirects, check the provider's baseURL.`,
    );
    expect(reachedTarget.length).toBe(before);
  });

  it('refuses a cross-origin redirect the same way', async () => {
    const error = await refusal(providerFetch(`${base}/moved-away`, post, { provider: 'acme' }));
    expect(error.reason).toBe('upstream_unavailable');
    expect(error.message).not.toContain('/v1/images');
  });

  it('names the Location host when a fetch seam hands the redirect back', async () => {
    const seen: RequestInit[] = [];
    const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(init ?? {});
      return new Response('moved', {
        status: 308,
        headers: { location: 'https://other.example:8443/v1/images?token=abc' },
      });
    };
    const error = await refusal(providerFetch(`${base}/x`, post, { provider: 'acme', fetch }));
    expect(error.upstreamStatus).toBe(308);
    expect(error.message).toContain("redirect (308) to 'other.example:8443'");
    expect(error.message).not.toContain('token');
    expect(seen[0]).toMatchObject({ redirect: 'error', window: null, method: 'POST' });
  });

  it('leaves a 304 and a plain answer to the caller', async () => {
    expect(
      (await providerFetch(`${base}/not-modified`, { method: 'GET' }, { provider: 'acme' })).status,
    ).toBe(304);
    const response = await providerFetch(`${base}/target`, post, { provider: 'acme' });
    expect(await response.json()).toStrictEqual({ ok: true });
  });

  it('follows a redirect only when the caller asks for it explicitly', async () => {
    const before = reachedTarget.length;
    const response = await providerFetch(
      `${base}/moved`,
      { ...post, redirect: 'follow' },
      { provider: 'acme' },
    );
    expect(response.status).toBe(200);
    expect(reachedTarget.length).toBe(before + 1);
  });

  it("hands a 3xx back when the caller asks for redirect: 'manual'", async () => {
    const response = await providerFetch(
      `${base}/moved`,
      { ...post, redirect: 'manual' },
      { provider: 'acme' },
    );
    expect(response.status).toBe(307);
    await response.body?.cancel();
  });
});

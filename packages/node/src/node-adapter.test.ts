import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeServer, type ListeningServer, listen } from './node-server.ts';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(handler: (request: Request) => Promise<Response>): Promise<ListeningServer> {
  const server = await listen(handler);
  servers.push(server);
  return server;
}

/** A raw HTTP exchange, so tests can watch chunks arrive and cut the connection. */
function rawRequest(url: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return httpRequest(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false });
}

describe('toNodeHandler / listen', () => {
  it('passes method, full URL, headers and streamed body through, and the response back', async () => {
    const server = await start(async (request) => {
      const text = await request.text();
      return Response.json(
        { method: request.method, url: request.url, type: request.headers.get('content-type'), body: text },
        { status: 201, headers: { 'x-request-id': 'r1' } },
      );
    });
    const response = await fetch(`${server.url}/oai/v1/x?y=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(await response.json()).toEqual({
      method: 'POST',
      url: `${server.url}/oai/v1/x?y=1`,
      type: 'application/json',
      body: '{"a":1}',
    });
  });

  it('streams response bodies without buffering them', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await start(async () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('first-chunk;'));
          await released;
          controller.enqueue(new TextEncoder().encode('second-chunk'));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
    });
    const text = await new Promise<string>((resolve, reject) => {
      const request = rawRequest(`${server.url}/media`);
      request.on('response', (response) => {
        let received = '';
        response.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          // The first chunk arrives while the handler is still holding the rest back.
          if (received === 'first-chunk;') release();
        });
        response.on('end', () => resolve(received));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end();
    });
    expect(text).toBe('first-chunk;second-chunk');
  });

  it('aborts request.signal when the client disconnects', async () => {
    let resolveAborted!: (reason: unknown) => void;
    const aborted = new Promise<unknown>((resolve) => {
      resolveAborted = resolve;
    });
    let resolveStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      resolveStarted = resolve;
    });
    const server = await start(
      (request) =>
        new Promise<Response>((resolve) => {
          request.signal.addEventListener('abort', () => {
            resolveAborted(request.signal.reason);
            resolve(new Response('late'));
          });
          resolveStarted();
        }),
    );
    const request = rawRequest(`${server.url}/slow`);
    request.on('error', () => {});
    request.end();
    await started;
    request.destroy();
    const reason = await aborted;
    expect(reason).toBeDefined();
  });

  it('closes with keep-alive connections open instead of hanging', async () => {
    const closable = createNodeServer(async () => new Response('ok'), { shutdownGraceMs: 50 });
    servers.push(closable);
    await new Promise<void>((resolve) => closable.server.listen(0, '127.0.0.1', resolve));
    const { port } = closable.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'keep-alive' } });
    expect(await response.text()).toBe('ok');
    await closable.close();
    expect(closable.server.listening).toBe(false);
    await closable.close(); // idempotent
  });

  it('answers 500 in a JSON envelope when a handler throws, without its message', async () => {
    const server = await start(async () => {
      throw new Error('secret internals at /srv/app.js');
    });
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret internals');
    expect(JSON.parse(text).error.code).toBe('internal_error');
  });

  it('honours trustProxy only when asked', async () => {
    const handler = async (request: Request) => new Response(request.url);
    const plain = await start(handler);
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'images.example.com' };
    expect(await (await fetch(`${plain.url}/a`, { headers: forwarded })).text()).toBe(`${plain.url}/a`);
    const trusting = await listen(handler, { trustProxy: true });
    servers.push(trusting);
    expect(await (await fetch(`${trusting.url}/a`, { headers: forwarded })).text()).toBe(
      'https://images.example.com/a',
    );
  });
});

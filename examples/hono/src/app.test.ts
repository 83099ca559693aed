import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { createExampleGateway } from './gateway.ts';

const KEY = 'pg-test-key-hono-0123456789';

describe('hono example on @hono/node-server', () => {
  const gateway = createExampleGateway({});
  let server: ReturnType<typeof serve>;
  let url: string;
  beforeAll(async () => {
    const app = createApp({ gateway, keys: [{ id: 'test', key: KEY, tenantId: 'test' }] });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
  });

  const auth = { authorization: `Bearer ${KEY}` };

  it('serves OpenAI-compatible generations and keeps the client’s request id', async () => {
    const response = await fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-request-id': 'client-chosen-id-1' },
      body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', output_format: 'webp' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-chosen-id-1');
    const body = (await response.json()) as { data: Array<{ b64_json: string }> };
    expect(sniffImage(Buffer.from(body.data[0]!.b64_json, 'base64'))).toMatchObject({
      mediaType: 'image/webp',
      width: 256,
    });
  });

  it('streams a stored image back from its signed media URL, and refuses a tampered token', async () => {
    const response = await fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a kite', size: '256x256', response_format: 'url' }),
    });
    const { data } = (await response.json()) as { data: Array<{ url: string }> };
    const mediaUrl = new URL(data[0]!.url, url);
    const image = await fetch(mediaUrl);
    expect(image.status).toBe(200);
    expect(sniffImage(new Uint8Array(await image.arrayBuffer()))?.mediaType).toBe('image/png');
    const tampered = new URL(mediaUrl);
    tampered.pathname = `${tampered.pathname.slice(0, -2)}xx`;
    expect((await fetch(tampered)).status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a body over the limit with 413 and a non-JSON body with 4xx', async () => {
    const big = await fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    const text = await fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
  });

  it('runs the app’s own route on the gateway, deterministic for a fixed seed', async () => {
    const call = () =>
      fetch(`${url}/fingerprints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'same' }),
      }).then((response) => response.json() as Promise<{ images: Array<{ sha256: string; width: number }> }>);
    const [first, second] = await Promise.all([call(), call()]);
    expect(first.images[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.images[0]!.sha256).toBe(first.images[0]!.sha256);
    const bad = await fetch(`${url}/fingerprints`, { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
  });
});

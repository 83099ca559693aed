import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPixelgate, type Pixelgate } from '../lib/pixelgate.ts';

const KEY = 'pg-test-key-nextjs-0123456789';
const ORIGIN = 'http://localhost:3000';

describe('next.js route handler app/v1/[...path]/route.ts', () => {
  let route: typeof import('../app/v1/[...path]/route.ts');
  let instance: Pixelgate;
  beforeAll(async () => {
    // The route reads the process-wide instance; give it an offline one with a test key.
    instance = createPixelgate({ PIXELGATE_API_KEY: KEY });
    (globalThis as { __pixelgate?: Pixelgate }).__pixelgate = instance;
    route = await import('../app/v1/[...path]/route.ts');
  });
  afterAll(async () => {
    await instance.gateway.close();
    delete (globalThis as { __pixelgate?: Pixelgate }).__pixelgate;
  });

  const request = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
    return new Request(`${ORIGIN}${path}`, { ...init, headers });
  };

  it('declares a dynamic Node.js route with GET, POST and HEAD', () => {
    expect(route.runtime).toBe('nodejs');
    expect(route.dynamic).toBe('force-dynamic');
    expect([typeof route.GET, typeof route.POST, typeof route.HEAD]).toEqual([
      'function',
      'function',
      'function',
    ]);
  });

  it('POST generates images in OpenAI’s response shape', async () => {
    const response = await route.POST(
      request('/v1/images/generations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', n: 2 }),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { created: number; data: Array<{ b64_json: string }> };
    expect(body.data).toHaveLength(2);
    expect(sniffImage(Buffer.from(body.data[0]!.b64_json, 'base64'))).toMatchObject({
      mediaType: 'image/png',
      width: 256,
    });
  });

  it('GET and HEAD serve the media URL a generation returned', async () => {
    const generated = await route.POST(
      request('/v1/images/generations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a kite', size: '256x256', response_format: 'url' }),
      }),
    );
    const { data } = (await generated.json()) as { data: Array<{ url: string }> };
    const url = new URL(data[0]!.url, ORIGIN);
    expect(url.origin).toBe(ORIGIN);
    const image = await route.GET(new Request(url));
    expect(image.status).toBe(200);
    expect(sniffImage(new Uint8Array(await image.arrayBuffer()))?.mediaType).toBe('image/png');
    const head = await route.HEAD(new Request(url, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/png');
  });

  it('GET lists models; errors keep their envelopes and status', async () => {
    const models = await route.GET(request('/v1/models'));
    expect(
      ((await models.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id),
    ).toContain('local/placeholder');
    const unauthorized = await route.GET(request('/v1/models', { key: null }));
    expect(unauthorized.status).toBe(401);
    const native = await route.POST(
      request('/v1/inference/images/generate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/placeholder', prompt: 'x', size: '100x300' }),
      }),
    );
    expect(native.status).toBe(400);
    expect(((await native.json()) as { error: { code: string; param: string } }).error).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'size',
    });
  });
});

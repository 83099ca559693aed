import { sniffImage } from '@pixelgate/core/provider-utils';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { createExampleGateway } from './gateway.ts';

const KEY = 'pg-test-key-fastify-0123456789';

describe('fastify example', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = await createApp({
      gateway: createExampleGateway({}),
      keys: [{ id: 'test', key: KEY, tenantId: 'test' }],
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
  ) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves generations under /v1 with the body read by pixelgate, not Fastify', async () => {
    const response = await post('/v1/images/generations', { prompt: 'a lighthouse', size: '512x512', n: 2 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ b64_json: string }> };
    expect(body.data).toHaveLength(2);
    for (const item of body.data) {
      expect(sniffImage(Buffer.from(item.b64_json, 'base64'))).toMatchObject({
        mediaType: 'image/png',
        width: 512,
        height: 512,
      });
    }
  });

  it('answers malformed JSON with pixelgate’s 400, not Fastify’s parser error', async () => {
    const response = await post('/v1/images/generations', '{"prompt":');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves the native route with its own envelope', async () => {
    const response = await post('/v1/inference/images/generate', { model: 'local/nope', prompt: 'x' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe('MODEL_NOT_FOUND');
    expect(body.error.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('refuses a wrong key', async () => {
    const response = await post(
      '/v1/images/generations',
      { prompt: 'x' },
      { authorization: 'Bearer pg-wrong-key-0123456789' },
    );
    expect(response.status).toBe(401);
  });

  it('keeps Fastify’s own routes and schema validation working beside it', async () => {
    const ok = await post('/avatars', { name: 'Ada' }, {});
    expect(ok.status).toBe(200);
    expect(sniffImage(new Uint8Array(await ok.arrayBuffer()))).toMatchObject({ width: 256, height: 256 });
    expect((await post('/avatars', { name: '' }, {})).status).toBe(400);
  });
});

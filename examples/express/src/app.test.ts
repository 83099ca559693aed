import { sniffImage } from '@pixelgate/core/provider-utils';
import { maskPng, solidPng } from '@pixelgate/core/testing';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './app.ts';
import { createExampleGateway } from './gateway.ts';

const KEY = 'pg-test-key-express-0123456789';

describe('express example', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({
      gateway: createExampleGateway({}),
      keys: [{ id: 'test', key: KEY, tenantId: 'test' }],
      port: 0,
    });
  });
  afterAll(() => server.close());

  const post = (path: string, body: unknown, key: string | null = KEY) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });

  it('serves OpenAI-compatible generations under /v1', async () => {
    const response = await post('/v1/images/generations', {
      prompt: 'a lighthouse',
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = (await response.json()) as { data: Array<{ b64_json: string }> };
    const sniffed = sniffImage(Buffer.from(body.data[0]!.b64_json, 'base64'));
    expect(sniffed).toMatchObject({ mediaType: 'image/png', width: 256, height: 256 });
  });

  it('hands back a signed URL that serves the image', async () => {
    const response = await post('/v1/images/generations', {
      prompt: 'a kite',
      size: '256x256',
      response_format: 'url',
    });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: Array<{ url: string }> };
    const image = await fetch(new URL(data[0]!.url, server.url));
    expect(image.status).toBe(200);
    expect(sniffImage(new Uint8Array(await image.arrayBuffer()))?.mediaType).toBe('image/png');
  });

  it('refuses a missing key with OpenAI’s error envelope', async () => {
    const response = await post('/v1/images/generations', { prompt: 'x' }, null);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ type: expect.any(String), code: expect.any(String) });
  });

  it('refuses an unsupported size naming the field, before generating', async () => {
    const response = await post('/v1/images/generations', { prompt: 'x', size: '100x300' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('size');
    expect(body.error.message).toContain('1024x1024');
  });

  it('lists the caller’s models', async () => {
    const response = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    const body = (await response.json()) as { data: Array<{ id: string }> };
    expect(body.data.map((model) => model.id)).toContain('local/placeholder');
  });

  it('runs the app’s own route on the gateway as a library, next to its own body parser', async () => {
    const response = await post('/avatars', { name: 'Ada' }, null);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(sniffImage(new Uint8Array(await response.arrayBuffer()))).toMatchObject({
      width: 256,
      height: 256,
    });
    expect((await post('/avatars', { name: '' }, null)).status).toBe(400);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('express example with the official OpenAI SDK', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({
      gateway: createExampleGateway({}),
      keys: [{ id: 'sdk', key: KEY, tenantId: 'sdk' }],
      port: 0,
    });
  });
  afterAll(() => server.close());

  it('generates with images.generate and surfaces refusals as the SDK’s own error classes', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const image = await client.images.generate({
      model: 'local/placeholder',
      prompt: 'a lighthouse',
      size: '1024x1024',
      response_format: 'b64_json',
    });
    expect(sniffImage(Buffer.from(image.data?.[0]?.b64_json ?? '', 'base64'))).toMatchObject({
      width: 1024,
      height: 1024,
    });

    const refused = await client.images
      .generate({ model: 'local/placeholder', prompt: 'x', size: '256x256', n: 11 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, param: 'n' });

    const anonymous = new OpenAI({
      baseURL: `${server.url}/v1`,
      apiKey: 'pg-not-a-key-0123456789',
      maxRetries: 0,
    });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('express example: images.edit through the official OpenAI SDK', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    // The example's own gateway: provider-local edits offline, so the upload runs end to end.
    server = await startServer({
      gateway: createExampleGateway({}),
      keys: [{ id: 'sdk', key: KEY, tenantId: 'sdk' }],
      port: 0,
    });
  });
  afterAll(() => server.close());

  it('edits two uploaded images with a mask, and refuses a non-image file naming the field', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const png = (name: string) => toFile(Buffer.from(solidPng(64, 64)), name, { type: 'image/png' });
    const edited = await client.images.edit({
      model: 'local/placeholder',
      image: [await png('a.png'), await png('b.png')],
      mask: await toFile(Buffer.from(maskPng(64, 64, 'alpha')), 'mask.png', { type: 'image/png' }),
      prompt: 'blend them',
      size: '256x256',
    });
    expect(sniffImage(Buffer.from(edited.data?.[0]?.b64_json ?? '', 'base64'))).toMatchObject({
      mediaType: 'image/png',
      width: 256,
      height: 256,
    });

    const refused = await client.images
      .edit({
        model: 'local/placeholder',
        image: await toFile(Buffer.from('not an image'), 'x.png', { type: 'image/png' }),
        prompt: 'x',
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, param: 'image' });
  });
});

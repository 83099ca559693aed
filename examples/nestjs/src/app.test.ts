import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type Gateway, type Logger, silentLogger, TOKENS } from '@pixelgate/core';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNestApp } from './app.ts';
import { PIXELGATE_GATEWAY } from './pixelgate/pixelgate.tokens.ts';

const KEY = 'pg-test-key-nestjs-0123456789';

describe('nestjs example on @nestjs/platform-express', () => {
  let app: NestExpressApplication;
  let url: string;
  beforeAll(async () => {
    app = await createNestApp(
      { keys: [{ id: 'test', key: KEY, tenantId: 'test' }], env: {} },
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  const post = (
    path: string,
    body: string,
    headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
  ) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('provides one gateway through Nest’s DI, composed in pixelgate’s container', () => {
    const gateway = app.get<Gateway>(PIXELGATE_GATEWAY);
    expect(gateway.listModels().map((model) => `${model.provider}/${model.id}`)).toContain(
      'local/placeholder',
    );
    expect(app.get(PIXELGATE_GATEWAY)).toBe(gateway);
    // pixelgate's own container holds the Nest-backed logger the module registered.
    const logger = gateway.container.resolve<Logger>(TOKENS.Logger);
    expect(logger).not.toBe(silentLogger);
    expect(typeof logger.warn).toBe('function');
  });

  it('serves OpenAI-compatible generations through the controller', async () => {
    const response = await post(
      '/v1/images/generations',
      JSON.stringify({ prompt: 'a lighthouse', size: '256x256' }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ b64_json: string }> };
    expect(sniffImage(Buffer.from(body.data[0]!.b64_json, 'base64'))).toMatchObject({
      mediaType: 'image/png',
      width: 256,
    });
  });

  it('answers malformed JSON and bad keys with pixelgate’s envelopes, not Nest’s', async () => {
    const malformed = await post('/v1/images/generations', '{"prompt":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe(
      'invalid_request_error',
    );
    const unauthorized = await post('/v1/images/generations', '{"prompt":"x"}', {
      authorization: 'Bearer pg-wrong-0123456789abc',
    });
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: { code: string } }).error.code).toBeTruthy();
  });

  it('lists models under /v1/models', async () => {
    const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(200);
    expect(
      ((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id),
    ).toContain('local/placeholder');
  });

  it('injects the same gateway into the app’s own controller, with Nest’s parser and errors there', async () => {
    const ok = await post('/avatars', JSON.stringify({ name: 'Ada' }), {});
    expect(ok.status).toBe(201);
    expect(sniffImage(new Uint8Array(await ok.arrayBuffer()))).toMatchObject({
      mediaType: 'image/png',
      width: 256,
    });
    const bad = await post('/avatars', JSON.stringify({ name: '' }), {});
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('name must be 1-64 characters');
  });
});

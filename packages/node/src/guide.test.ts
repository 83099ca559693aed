import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKeyAuthenticator, createGateway, createHttpHandler, hashApiKey } from '@pixelgate/core';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { createMockImageProvider, MOCK_EDIT_MODEL, maskPng, solidPng } from '@pixelgate/core/testing';
import { createLocalProvider } from '@pixelgate/provider-local';
import express from 'express';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { editAndVary } from './guide/edits-client.ts';
import { createExpressApp } from './guide/express.ts';
import { createFastifyApp } from './guide/fastify.ts';
import { startStandaloneServer } from './guide/node-http.ts';
import { startBehindProxy } from './guide/proxy.ts';
import { listen } from './node-server.ts';
import { toNodeHandler } from './to-node-handler.ts';

/**
 * The code samples of docs/http.md live in ./guide and run here; the last test checks that every
 * TypeScript block in the guide is one of those files, verbatim, so the guide cannot drift.
 */
const KEY = 'pg-guide-key-0123456789abcdef';
const keys = [{ id: 'guide', hash: hashApiKey(KEY), tenantId: 'guide-tenant' }];

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listenExpress(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function expectPngFromUrl(url: string, size: number): Promise<void> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(sniffImage(new Uint8Array(await response.arrayBuffer()))).toMatchObject({
    mediaType: 'image/png',
    width: size,
    height: size,
  });
}

describe('docs/http.md samples', () => {
  it('node:http: a standalone server with hashed API keys', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const { gateway, server } = await startStandaloneServer({ keySha256: hashApiKey(KEY), port: 0 });
    cleanups.push(
      () => gateway.close(),
      () => server.close(),
    );
    const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const result = await client.images.generate({
      model: 'placeholder',
      prompt: 'a harbour',
      size: '256x256',
      response_format: 'url',
    });
    await expectPngFromUrl(result.data![0]!.url!, 256);
  });

  it('Express: mounted at /oai next to the app’s own routes', async () => {
    const { app, gateway } = createExpressApp(keys);
    cleanups.push(() => gateway.close());
    const url = await listenExpress(app);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/oai/v1`, maxRetries: 0 });
    const result = await client.images.generate({
      model: 'placeholder',
      prompt: 'a harbour',
      size: '512x512',
      response_format: 'url',
    });
    expect(result.data![0]!.url!.startsWith(`${url}/oai/v1/media/`)).toBe(true);
    await expectPngFromUrl(result.data![0]!.url!, 512);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
    const error = await client.images
      .generate({ model: 'placeholder', prompt: 'x', size: '1000x300' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('Express: still works after express.json() consumed the body', async () => {
    const gateway = createGateway({ providers: [createLocalProvider()] });
    cleanups.push(() => gateway.close());
    const app = express();
    app.use(express.json());
    app.use(toNodeHandler(createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) })));
    const url = await listenExpress(app);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const result = await client.images.generate({
      model: 'placeholder',
      prompt: 'parsed first',
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(sniffImage(Buffer.from(result.data![0]!.b64_json!, 'base64'))).toMatchObject({ width: 256 });
  });

  it('Fastify: a hijacked route under /oai with pixelgate reading the body', async () => {
    const app = await createFastifyApp(keys);
    cleanups.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/oai/v1`, maxRetries: 0 });
    const result = await client.images.generate({
      model: 'placeholder',
      prompt: 'a harbour',
      size: '256x256',
      response_format: 'url',
    });
    await expectPngFromUrl(result.data![0]!.url!, 256);
    const head = await fetch(result.data![0]!.url!, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const malformed = await fetch(`${url}/oai/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"prompt":',
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()) as unknown).toMatchObject({ error: { code: 'validation_error' } });
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
  });

  it('Behind a proxy: publicBaseUrl, trustProxy, body limit and CORS', async () => {
    const { gateway, server } = await startBehindProxy(keys);
    cleanups.push(
      () => gateway.close(),
      () => server.close(),
    );
    const response = await fetch(`${server.url}/oai/v1/inference/images/generate`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        origin: 'https://app.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'internal.example.net',
      },
      body: JSON.stringify({
        model: 'local/placeholder',
        prompt: 'a harbour',
        size: '256x256',
        response_format: 'url',
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const json = (await response.json()) as { data: Array<{ url: string }> };
    const mediaUrl = new URL(json.data[0]!.url);
    expect(mediaUrl.origin).toBe('https://images.example.com');
    expect(mediaUrl.pathname.startsWith('/oai/v1/media/')).toBe(true);
    await expectPngFromUrl(`${server.url}${mediaUrl.pathname}`, 256);
    const oversize = await fetch(`${server.url}/oai/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/placeholder', prompt: 'x'.repeat(70_000) }),
    });
    expect(oversize.status).toBe(413);
  });

  it('Edits, variations and streaming: the SDK sample against a server', async () => {
    const mock = createMockImageProvider({ models: [MOCK_EDIT_MODEL] });
    const gateway = createGateway({
      providers: [mock],
    });
    const server = await listen(
      createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) }),
      {
        port: 0,
        host: '127.0.0.1',
      },
    );
    const directory = mkdtempSync(join(tmpdir(), 'pixelgate-guide-'));
    cleanups.push(
      () => gateway.close(),
      () => server.close(),
      async () => rmSync(directory, { recursive: true, force: true }),
    );
    const files = {
      photo: join(directory, 'photo.png'),
      style: join(directory, 'style.png'),
      mask: join(directory, 'mask.png'),
    };
    writeFileSync(files.photo, solidPng(128, 128));
    writeFileSync(files.style, solidPng(64, 64));
    writeFileSync(files.mask, maskPng(128, 128, 'alpha'));
    const result = await editAndVary(`${server.url}/v1`, KEY, 'mock/mock-edit', files);
    expect(result).toEqual({
      events: ['partial 0', 'partial 1', 'completed 256x256 png'],
      variations: 2,
    });
  });

  it('every TypeScript block in docs/http.md is a sample file, verbatim', () => {
    const guide = readFileSync(fileURLToPath(new URL('../../../docs/http.md', import.meta.url)), 'utf8');
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
    const directory = fileURLToPath(new URL('./guide/', import.meta.url));
    const samples = readdirSync(directory).map((file) => readFileSync(`${directory}${file}`, 'utf8').trim());
    expect(blocks.length).toBeGreaterThanOrEqual(samples.length);
    for (const block of blocks) expect(samples).toContain(block);
    for (const sample of samples) expect(blocks).toContain(sample);
  });
});

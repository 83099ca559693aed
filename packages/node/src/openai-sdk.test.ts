import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  type Gateway,
  hashApiKey,
} from '@pixelgate/core';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { createLocalProvider } from '@pixelgate/provider-local';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningServer, listen } from './node-server.ts';

/**
 * The real-client suite: a real node:http server (through @pixelgate/node) in front of a gateway
 * on the local provider, driven by the official `openai` npm SDK exactly as an application would,
 * and by curl when it is installed.
 */
const KEY = 'pg-sdk-test-key-0123456789abcdef';
const LIMITED_KEY = 'pg-sdk-limited-key-0123456789abcdef';
const RATE_KEY = 'pg-sdk-rate-key-0123456789abcdef';

const run = promisify(execFile);

let gateway: Gateway;
let server: ListeningServer;
let client: OpenAI;

function clientWith(apiKey: string, baseURL = `${server.url}/oai/v1`): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 20_000 });
}

beforeAll(async () => {
  gateway = createGateway({
    providers: [createLocalProvider()],
    media: { pathPrefix: '/oai' },
    // Only the rate-test key carries a user id, so only it meets this one-request limit.
    rateLimits: { rules: [{ scope: 'user', unit: 'requests', limit: 1, windowMs: 60_000 }] },
  });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({
      keys: [
        { id: 'sdk', hash: hashApiKey(KEY), tenantId: 'sdk-tenant' },
        {
          id: 'sdk-limited',
          hash: hashApiKey(LIMITED_KEY),
          tenantId: 'limited-tenant',
          allowedModels: ['local/placeholder-single'],
        },
        { id: 'sdk-rate', hash: hashApiKey(RATE_KEY), tenantId: 'rate-tenant', userId: 'rate-user' },
      ],
    }),
  });
  server = await listen(handler, { port: 0, host: '127.0.0.1' });
  client = clientWith(KEY);
});

afterAll(async () => {
  await server?.close();
  await gateway?.close();
});

async function caught(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('the official openai SDK against a pixelgate server', () => {
  it('generates b64_json images', async () => {
    const result = await client.images.generate({
      model: 'placeholder',
      prompt: 'a lighthouse at dusk',
      size: '256x256',
      n: 2,
      response_format: 'b64_json',
    });
    expect(result.created).toBeGreaterThan(0);
    expect(result.data).toHaveLength(2);
    for (const image of result.data ?? []) {
      const bytes = Buffer.from(image.b64_json ?? '', 'base64');
      expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 256, height: 256 });
    }
  });

  it('generates url images whose URL downloads as a PNG of the right size', async () => {
    const result = await client.images.generate({
      model: 'local/placeholder',
      prompt: 'a lighthouse',
      size: '512x512',
      response_format: 'url',
    });
    const url = result.data?.[0]?.url ?? '';
    expect(url.startsWith(`${server.url}/oai/v1/media/`)).toBe(true);
    const download = await fetch(url); // no API key: the signed token is the credential
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 512, height: 512 });
    expect(Number(download.headers.get('content-length'))).toBe(bytes.byteLength);
  });

  it('lists the models this key may use, with capabilities', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      ids.push(model.id);
      expect(model.object).toBe('model');
      expect(model.owned_by).toBe('local');
      expect(
        (model as unknown as { pixelgate: { capabilities: { sizes: string[] } } }).pixelgate.capabilities
          .sizes.length,
      ).toBeGreaterThan(0);
    }
    expect(ids.sort()).toEqual(['local/placeholder', 'local/placeholder-single']);
    const limited: string[] = [];
    for await (const model of clientWith(LIMITED_KEY).models.list()) limited.push(model.id);
    expect(limited).toEqual(['local/placeholder-single']);
    const one = await client.models.retrieve('local/placeholder');
    expect(one.id).toBe('local/placeholder');
  });

  it('surfaces invalid requests as BadRequestError with code and param', async () => {
    const error = await caught(
      client.images.generate({ model: 'placeholder', prompt: 'x', size: '1000x300' }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_error');
    expect(error.param).toBe('size');
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toContain('1024x1024');
    expect(error.requestID).toMatch(/^req_/);
    const n = await caught(client.images.generate({ model: 'placeholder-single', prompt: 'x', n: 11 }));
    expect(n).toBeInstanceOf(OpenAI.BadRequestError);
    expect(n.param).toBe('n');
  });

  it('surfaces a wrong key as AuthenticationError', async () => {
    const error = await caught(
      clientWith('pg-not-a-valid-key-000000000000').images.generate({ model: 'placeholder', prompt: 'x' }),
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.code).toBe('authentication_error');
    expect(error.message).not.toContain('pg-not-a-valid-key');
  });

  it('surfaces an unknown model as NotFoundError with model_not_found', async () => {
    const error = await caught(client.images.generate({ model: 'no-such-model', prompt: 'x' }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
    expect(error.param).toBe('model');
  });

  it('surfaces a forbidden model as PermissionDeniedError', async () => {
    const error = await caught(
      clientWith(LIMITED_KEY).images.generate({ model: 'local/placeholder', prompt: 'x' }),
    );
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.code).toBe('model_access_denied');
    expect(error.param).toBe('model');
  });

  it('surfaces a rate limit as RateLimitError with Retry-After and x-ratelimit headers', async () => {
    const limited = clientWith(RATE_KEY);
    await limited.images.generate({ model: 'placeholder', prompt: 'x', size: '256x256' });
    const error = await caught(
      limited.images.generate({ model: 'placeholder', prompt: 'x', size: '256x256' }),
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limited');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(error.headers?.get('x-ratelimit-limit-requests')).toBe('1');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('reaches only the mounted prefix', async () => {
    const error = await caught(
      clientWith(KEY, `${server.url}/v1`).images.generate({ model: 'placeholder', prompt: 'x' }),
    );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('aborts the generation when the SDK call is aborted (client disconnect)', async () => {
    const slowGateway = createGateway({ providers: [createLocalProvider({ latencyMs: 15_000 })] });
    const slowServer = await listen(createHttpHandler(slowGateway, { anonymous: { tenantId: 'public' } }));
    try {
      const ended = new Promise<string | undefined>((resolve) =>
        slowGateway.events.once('request-end', (event) => resolve(event.errorCode)),
      );
      const started = new Promise<void>((resolve) =>
        slowGateway.events.once('provider-call-start', () => resolve()),
      );
      const controller = new AbortController();
      const call = clientWith('unused', `${slowServer.url}/v1`).images.generate(
        { model: 'placeholder', prompt: 'x' },
        { signal: controller.signal },
      );
      call.catch(() => {});
      await started;
      controller.abort();
      await expect(call).rejects.toThrow();
      expect(await ended).toBe('ABORTED');
    } finally {
      await slowServer.close();
      await slowGateway.close();
    }
  });
});

describe('curl against a pixelgate server', async () => {
  const curl = await run('curl', ['--version']).then(
    () => true,
    () => false,
  );

  it.skipIf(!curl)('generates an image and reports errors with status and envelope', async () => {
    const ok = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      `Authorization: Bearer ${KEY}`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({
        model: 'placeholder',
        prompt: 'curl fox',
        size: '256x256',
        response_format: 'b64_json',
      }),
      `${server.url}/oai/v1/images/generations`,
    ]);
    const [okBody, okStatus] = splitStatus(ok.stdout);
    expect(okStatus).toBe(200);
    const image = Buffer.from(
      (JSON.parse(okBody) as { data: Array<{ b64_json: string }> }).data[0]!.b64_json,
      'base64',
    );
    expect(sniffImage(image)).toMatchObject({ width: 256, height: 256 });

    const bad = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      `Authorization: Bearer ${KEY}`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"prompt":',
      `${server.url}/oai/v1/images/generations`,
    ]);
    const [badBody, badStatus] = splitStatus(bad.stdout);
    expect(badStatus).toBe(400);
    expect(JSON.parse(badBody)).toMatchObject({
      error: { type: 'invalid_request_error', code: 'validation_error' },
    });

    const native = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      `x-api-key: ${KEY}`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({
        model: 'local/placeholder',
        prompt: 'curl',
        size: '256x256',
        metadata: { from: 'curl' },
      }),
      `${server.url}/oai/v1/inference/images/generate`,
    ]);
    const [nativeBody, nativeStatus] = splitStatus(native.stdout);
    expect(nativeStatus).toBe(200);
    expect(JSON.parse(nativeBody)).toMatchObject({
      model: 'local/placeholder',
      metadata: { from: 'curl' },
      request_id: expect.any(String),
    });
  });
});

function splitStatus(output: string): [string, number] {
  const index = output.lastIndexOf('\n');
  return [output.slice(0, index), Number(output.slice(index + 1))];
}

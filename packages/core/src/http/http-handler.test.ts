import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { BackendError } from '../errors/gateway-error.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import type { GatewayOptions } from '../gateway/gateway-options.ts';
import { sniffImage } from '../shared/media-type.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createApiKeyAuthenticator, hashApiKey } from './api-key-authenticator.ts';
import { createHttpHandler, type FetchHandler, type HttpHandlerOptions } from './http-handler.ts';

const KEY_A = 'pg-test-key-tenant-a-0123456789';
const KEY_B = 'pg-test-key-tenant-b-0123456789';
const KEY_LIMITED = 'pg-test-key-limited-0123456789';
const ORIGIN = 'http://gateway.test';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

const OTHER_MODEL = { ...MOCK_MODEL, id: 'mock-other', aliases: [] };

function setup(
  gatewayOptions: Partial<GatewayOptions> = {},
  handlerOptions: Partial<HttpHandlerOptions> = {},
  provider = createMockImageProvider({ models: [MOCK_MODEL, OTHER_MODEL] }),
): { gateway: Gateway; handler: FetchHandler; provider: typeof provider; audit: MemoryAuditSink } {
  const audit = new MemoryAuditSink();
  const gateway = createGateway({ providers: [provider], auditSink: audit, ...gatewayOptions });
  gateways.push(gateway);
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({
      keys: [
        { id: 'key-a', hash: hashApiKey(KEY_A), tenantId: 'tenant-a' },
        { id: 'key-b', key: KEY_B, tenantId: 'tenant-b' },
        {
          id: 'key-limited',
          hash: hashApiKey(KEY_LIMITED),
          tenantId: 'tenant-limited',
          allowedModels: ['mock/mock-image'],
        },
      ],
    }),
    ...handlerOptions,
  });
  return { gateway, handler, provider, audit };
}

function post(
  path: string,
  body: unknown,
  init: { key?: string | null; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? KEY_A}`;
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

function get(path: string, key: string | null = KEY_A, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, {
    headers: key === null ? headers : { authorization: `Bearer ${key}`, ...headers },
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
type Json = Record<string, any>;

async function body(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

describe('POST /v1/images/generations (OpenAI-compatible)', () => {
  it('answers with exactly the OpenAI ImagesResponse shape and a request id', async () => {
    const { handler } = setup();
    const response = await handler(
      post('/v1/images/generations', {
        model: 'mock-image',
        prompt: 'a red fox',
        n: 2,
        response_format: 'b64_json',
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const json = await body(response);
    // OpenAI's current ImagesResponse: the size and format of the images made are echoed.
    expect(Object.keys(json).sort()).toEqual(['created', 'data', 'output_format', 'size']);
    expect([json.size, json.output_format]).toEqual(['256x256', 'png']);
    expect(json.data).toHaveLength(2);
    for (const entry of json.data) {
      expect(Object.keys(entry)).toEqual(['b64_json']);
      const bytes = Buffer.from(entry.b64_json, 'base64');
      expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 256, height: 256 });
    }
  });

  it("tells OpenAI clients the answering model and every warning in headers, keeping the body OpenAI's", async () => {
    const { handler } = setup({ capabilityPolicy: 'coerce' });
    const response = await handler(
      post('/v1/images/generations', { model: 'mock-image', prompt: 'a fox', size: '1000x1000' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-pixelgate-model')).toBe('mock/mock-image');
    const warnings = JSON.parse(
      decodeURIComponent(response.headers.get('x-pixelgate-warnings')!),
    ) as string[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('1000x1000');
    expect(Object.keys(await body(response)).sort()).toEqual(['created', 'data', 'output_format', 'size']);
  });

  it('streams large bodies byte-exactly with a correct Content-Length (n=10, both routes)', async () => {
    const { handler } = setup();
    for (const [path, model] of [
      ['/v1/images/generations', 'mock-image'],
      ['/v1/inference/images/generate', 'mock/mock-image'],
    ]) {
      const response = await handler(
        post(path!, {
          model,
          prompt: 'a "quoted" fox \u2603',
          n: 10,
          size: '1024x1024',
          response_format: 'b64_json',
        }),
      );
      expect(response.status).toBe(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(bytes.byteLength);
      const json = JSON.parse(new TextDecoder().decode(bytes)) as { data: Array<{ b64_json: string }> };
      expect(json.data).toHaveLength(10);
      for (const entry of json.data)
        expect(sniffImage(Buffer.from(entry.b64_json, 'base64'))).toMatchObject({
          width: 1024,
          height: 1024,
        });
    }
  });

  it('gives absolute media URLs for response_format url, served without an API key', async () => {
    const { handler } = setup();
    const response = await handler(
      post('/v1/images/generations', {
        model: 'mock-image',
        prompt: 'a fox',
        response_format: 'url',
        size: '512x512',
      }),
    );
    expect(response.status).toBe(200);
    const json = await body(response);
    const url = json.data[0].url as string;
    expect(url.startsWith(`${ORIGIN}/v1/media/`)).toBe(true);
    const media = await handler(new Request(url));
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/png');
    expect(media.headers.get('x-request-id')).toMatch(/^req_/);
    const bytes = new Uint8Array(await media.arrayBuffer());
    expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 512, height: 512 });
    const head = await handler(new Request(url, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.byteLength));
  });

  it('hides another tenant’s media, refuses bad keys on media and treats forged tokens as missing', async () => {
    const { handler } = setup();
    const json = await body(
      await handler(
        post('/v1/images/generations', { model: 'mock-image', prompt: 'a fox', response_format: 'url' }),
      ),
    );
    const url = json.data[0].url as string;
    expect((await handler(new Request(url, { headers: { authorization: `Bearer ${KEY_A}` } }))).status).toBe(
      200,
    );
    const other = await handler(new Request(url, { headers: { authorization: `Bearer ${KEY_B}` } }));
    expect(other.status).toBe(404);
    expect(
      (await handler(new Request(url, { headers: { 'x-api-key': 'pg-wrong-key-0000000000000000' } }))).status,
    ).toBe(401);
    const forged = `${url.slice(0, -4)}${url.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect((await handler(new Request(forged))).status).toBe(404);
    const post405 = await handler(new Request(url, { method: 'POST' }));
    expect(post405.status).toBe(405);
    expect(post405.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('renders validation errors in OpenAI’s envelope with param and code', async () => {
    const { handler } = setup();
    const response = await handler(
      post('/v1/images/generations', { model: 'mock-image', prompt: 'x', size: '999x999' }),
    );
    expect(response.status).toBe(400);
    const json = await body(response);
    expect(Object.keys(json)).toEqual(['error']);
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(json.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'size',
      code: 'validation_error',
    });
    expect(json.error.message).toContain('1024x1024');
  });

  it('answers unknown models with 404 model_not_found and forbidden models with 403', async () => {
    const { handler } = setup();
    const missing = await handler(post('/v1/images/generations', { model: 'nope', prompt: 'x' }));
    expect(missing.status).toBe(404);
    expect((await body(missing)).error).toMatchObject({ code: 'model_not_found', param: 'model' });
    const denied = await handler(
      post('/v1/images/generations', { model: 'mock/mock-other', prompt: 'x' }, { key: KEY_LIMITED }),
    );
    expect(denied.status).toBe(403);
    expect((await body(denied)).error).toMatchObject({
      type: 'permission_error',
      code: 'model_access_denied',
    });
  });
});

describe('POST /v1/inference/images/generate (native)', () => {
  it('returns pixelgate extras, echoes metadata and uses the request id everywhere', async () => {
    const { handler, audit } = setup();
    const response = await handler(
      post(
        '/v1/inference/images/generate',
        { model: 'mock/mock-image', prompt: 'a fox', seed: 7, metadata: { order: '42' } },
        { headers: { 'x-request-id': 'client-req.123' } },
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-req.123');
    const json = await body(response);
    expect(json).toMatchObject({
      request_id: 'client-req.123',
      model: 'mock/mock-image',
      provider: 'mock',
      metadata: { order: '42' },
    });
    expect(Array.isArray(json.warnings)).toBe(true);
    expect(Array.isArray(json.labels)).toBe(true);
    expect(json.cost).toMatchObject({ basis: expect.any(String) });
    expect(json.data[0]).toMatchObject({
      media_type: 'image/png',
      seed: 7,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(audit.records.at(-1)?.requestId).toBe('client-req.123');
  });

  it('requires provider-qualified model ids and names the qualified one', async () => {
    const { handler } = setup();
    const response = await handler(
      post('/v1/inference/images/generate', { model: 'mock-image', prompt: 'a fox' }),
    );
    expect(response.status).toBe(400);
    const json = await body(response);
    expect(json.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'model',
      request_id: response.headers.get('x-request-id'),
    });
    expect(json.error.message).toContain("'mock/mock-image'");
  });

  it('renders errors in the native envelope with codes, details and request_id', async () => {
    const { handler } = setup({ budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 0.01 }] } });
    const response = await handler(
      post('/v1/inference/images/generate', { model: 'mock/mock-image', prompt: 'a fox', quality: 'high' }),
    );
    expect(response.status).toBe(402);
    const json = await body(response);
    expect(Object.keys(json.error).sort()).toEqual(['code', 'details', 'message', 'param', 'request_id']);
    expect(json.error.code).toBe('BUDGET_EXCEEDED');
    expect(json.error.request_id).toBe(response.headers.get('x-request-id'));
    const openai = await handler(
      post('/v1/images/generations', { model: 'mock-image', prompt: 'a fox', quality: 'high' }),
    );
    expect(openai.status).toBe(402);
    expect((await body(openai)).error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
  });
});

describe('request bodies', () => {
  it.each([
    ['/v1/images/generations', 'openai'],
    ['/v1/inference/images/generate', 'native'],
  ])('answers malformed JSON on %s with a clear 400, never a 500', async (path, style) => {
    const { handler, provider } = setup();
    for (const raw of ['{"prompt": "a fox",', 'not json at all', '', '[1,2]', 'null', '"text"']) {
      const response = await handler(post(path, raw));
      expect(response.status, raw).toBe(400);
      const json = await body(response);
      if (style === 'openai')
        expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'validation_error' });
      else expect(json.error.code).toBe('VALIDATION_ERROR');
      expect(json.error.message).toMatch(/JSON|empty/);
      expect(JSON.stringify(json)).not.toContain('not json at all');
    }
    const invalidUtf8 = new Request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect((await handler(invalidUtf8)).status).toBe(400);
    expect(provider.calls).toHaveLength(0);
  });

  it('refuses other content types with 415 before reading the body', async () => {
    const { handler } = setup();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await handler(
        post('/v1/images/generations', { prompt: 'x' }, { headers: { 'content-type': type } }),
      );
      expect(response.status, type).toBe(415);
      expect((await body(response)).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'validation_error',
      });
    }
    const missing = new Request(`${ORIGIN}/v1/inference/images/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}` },
      body: new Blob(['{"prompt":"x"}']),
    });
    const response = await handler(missing);
    expect(response.status).toBe(415);
    expect((await body(response)).error.code).toBe('VALIDATION_ERROR');
    const withCharset = await handler(
      post(
        '/v1/images/generations',
        { model: 'mock-image', prompt: 'x' },
        { headers: { 'content-type': 'application/json; charset=UTF-8' } },
      ),
    );
    expect(withCharset.status).toBe(200);
  });

  it('refuses a declared oversize body with 413 without reading it', async () => {
    const { handler } = setup({}, { maxBodyBytes: 1000 });
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(500).fill(32));
      },
    });
    const request = new Request(`${ORIGIN}/v1/images/generations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': '5000',
        authorization: `Bearer ${KEY_A}`,
      },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const response = await handler(request);
    expect(response.status).toBe(413);
    expect((await body(response)).error).toMatchObject({ code: 'payload_too_large' });
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading an endless body at the first byte over the limit', async () => {
    const { handler } = setup({}, { maxBodyBytes: 4096 });
    let pulled = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 10_000)
          controller.close(); // bound: never reached when the limit works
        else controller.enqueue(new Uint8Array(1000).fill(32));
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request(`${ORIGIN}/v1/inference/images/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const response = await handler(request);
    expect(response.status).toBe(413);
    expect((await body(response)).error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit_bytes: 4096 },
    });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

describe('routing', () => {
  it('answers unknown routes with 404 in the envelope of the route family', async () => {
    const { handler } = setup();
    const openai = await handler(get('/v1/chat/completions'));
    expect(openai.status).toBe(404);
    expect((await body(openai)).error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    const native = await handler(get('/v1/inference/nothing'));
    expect(native.status).toBe(404);
    expect((await body(native)).error).toMatchObject({
      code: 'NOT_FOUND',
      request_id: native.headers.get('x-request-id'),
    });
  });

  it('answers wrong methods with 405 and Allow', async () => {
    const { handler } = setup();
    const response = await handler(get('/v1/images/generations'));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await body(response)).error.type).toBe('invalid_request_error');
    const models = await handler(post('/v1/models', {}));
    expect(models.status).toBe(405);
    expect(models.headers.get('allow')).toBe('GET, OPTIONS');
    const nativeDelete = await handler(
      new Request(`${ORIGIN}/v1/inference/images/generate`, { method: 'DELETE' }),
    );
    expect(nativeDelete.status).toBe(405);
    expect((await body(nativeDelete)).error.code).toBe('VALIDATION_ERROR');
  });

  it('mounts under a prefix, and only there, with media URLs under it', async () => {
    const { handler } = setup({ media: { pathPrefix: '/oai' } }, { pathPrefix: '/oai' });
    expect((await handler(get('/v1/models'))).status).toBe(404);
    expect((await handler(get('/oaix/v1/models'))).status).toBe(404);
    expect((await handler(get('/oai/v1/models'))).status).toBe(200);
    const json = await body(
      await handler(
        post('/oai/v1/images/generations', { model: 'mock-image', prompt: 'x', response_format: 'url' }),
      ),
    );
    expect(json.data[0].url.startsWith(`${ORIGIN}/oai/v1/media/`)).toBe(true);
    expect((await handler(new Request(json.data[0].url))).status).toBe(200);
  });

  it('refuses a prefix that disagrees with the gateway’s media.pathPrefix', () => {
    const { gateway } = setup();
    expect(() => createHttpHandler(gateway, { anonymous: { tenantId: 'x' }, pathPrefix: '/oai' })).toThrow(
      /media\.pathPrefix/,
    );
    expect(() => createHttpHandler(gateway, { anonymous: { tenantId: 'x' }, pathPrefix: 'oai/' })).toThrow(
      /pathPrefix/,
    );
    expect(() => createHttpHandler(gateway, {})).toThrow(/authenticate/);
  });

  it('uses publicBaseUrl for media links when configured (behind a proxy)', async () => {
    const { handler } = setup({ media: { publicBaseUrl: 'https://images.example.com' } });
    const json = await body(
      await handler(
        post('/v1/images/generations', { model: 'mock-image', prompt: 'x', response_format: 'url' }),
      ),
    );
    expect(json.data[0].url.startsWith('https://images.example.com/v1/media/')).toBe(true);
  });
});

describe('authentication', () => {
  it('answers a missing key with 401 and WWW-Authenticate', async () => {
    const { handler, provider } = setup();
    const response = await handler(
      post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }, { key: null }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="pixelgate"');
    expect((await body(response)).error).toMatchObject({
      type: 'authentication_error',
      code: 'authentication_error',
      param: null,
    });
    expect(provider.calls).toHaveLength(0);
  });

  it('answers a wrong key with 401 invalid_token and never echoes it', async () => {
    const { handler } = setup();
    const wrong = 'pg-wrong-secret-key-abcdef012345';
    for (const request of [
      post('/v1/inference/images/generate', { model: 'mock/mock-image', prompt: 'x' }, { key: wrong }),
      get('/v1/models', wrong),
      new Request(`${ORIGIN}/v1/models`, { headers: { 'x-api-key': wrong } }),
      new Request(`${ORIGIN}/v1/models`, { headers: { authorization: `Basic ${btoa('a:b')}` } }),
    ]) {
      const response = await handler(request);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      const text = await response.text();
      expect(text).not.toContain(wrong);
    }
  });

  it('accepts x-api-key as well as Bearer', async () => {
    const { handler } = setup();
    const response = await handler(new Request(`${ORIGIN}/v1/models`, { headers: { 'x-api-key': KEY_B } }));
    expect(response.status).toBe(200);
  });

  it('renders a throwing authenticator as a generic 500 without its message or stack', async () => {
    const logged: unknown[] = [];
    const { handler } = setup(
      {},
      {
        authenticate: () => {
          throw new Error('db password hunter2 at /srv/app/auth.js:12');
        },
        logger: { debug() {}, info() {}, warn() {}, error: (fields) => logged.push(fields) },
      },
    );
    const response = await handler(post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('auth.js');
    expect(JSON.parse(text).error).toMatchObject({ type: 'server_error', code: 'internal_error' });
    expect(logged).toHaveLength(1);
  });

  it('serves anonymous callers only when configured, and still checks presented keys', async () => {
    const { gateway } = setup();
    const handler = createHttpHandler(gateway, {
      anonymous: { tenantId: 'public', allowedModels: ['mock/mock-image'] },
      authenticate: createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY_A, tenantId: 'tenant-a' }] }),
    });
    const anonymousModels = await body(await handler(get('/v1/models', null)));
    expect(anonymousModels.data.map((model: { id: string }) => model.id)).toEqual(['mock/mock-image']);
    expect((await handler(get('/v1/models', 'pg-wrong-secret-key-abcdef012345'))).status).toBe(401);
    const keyed = await body(await handler(get('/v1/models', KEY_A)));
    expect(keyed.data).toHaveLength(2);
  });
});

describe('GET /v1/models', () => {
  it('lists only the caller’s models in OpenAI’s list shape with capabilities', async () => {
    const { handler } = setup();
    const all = await body(await handler(get('/v1/models')));
    expect(all.object).toBe('list');
    expect(all.data.map((model: { id: string }) => model.id).sort()).toEqual([
      'mock/mock-image',
      'mock/mock-other',
    ]);
    const limited = await body(await handler(get('/v1/models', KEY_LIMITED)));
    expect(limited.data).toHaveLength(1);
    expect(limited.data[0]).toMatchObject({
      id: 'mock/mock-image',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'mock',
      pixelgate: {
        provider: 'mock',
        model: 'mock-image',
        capabilities: { maxImagesPerCall: 4, sizes: expect.arrayContaining(['1024x1024']) },
      },
    });
    expect(limited.data[0].pixelgate.providerData).toBeUndefined();
  });

  it('retrieves one model, and hides models the caller may not use', async () => {
    const { handler } = setup();
    const one = await handler(get('/v1/models/mock%2Fmock-image'));
    expect(one.status).toBe(200);
    expect((await body(one)).id).toBe('mock/mock-image');
    expect((await handler(get('/v1/models/mock/mock-image'))).status).toBe(200);
    const hidden = await handler(get('/v1/models/mock/mock-other', KEY_LIMITED));
    expect(hidden.status).toBe(404);
    expect((await body(hidden)).error.code).toBe('model_not_found');
  });
});

describe('headers', () => {
  it('accepts a valid caller request id and replaces an invalid one', async () => {
    const { handler } = setup();
    expect(
      (await handler(get('/v1/models', KEY_A, { 'x-request-id': 'abc-123' }))).headers.get('x-request-id'),
    ).toBe('abc-123');
    const replaced = await handler(
      get('/v1/models', KEY_A, { 'x-request-id': 'bad id with spaces <script>' }),
    );
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await handler(get('/nowhere'))).headers.get('x-request-id')).toMatch(/^req_/);
    expect((await handler(get('/v1/models', null))).headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('sends x-ratelimit-* on success and on 429, with Retry-After', async () => {
    const { handler, provider } = setup({
      rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 2, windowMs: 60_000 }] },
    });
    const first = await handler(post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/s$/);
    await handler(post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }));
    const limited = await handler(post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect((await body(limited)).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    // Another tenant has its own window.
    expect(
      (await handler(post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }, { key: KEY_B })))
        .status,
    ).toBe(200);
    expect(provider.calls).toHaveLength(3);
  });

  it('keeps x-ratelimit-* on failures after the rate-limit step', async () => {
    const provider = createMockImageProvider({
      generate: () => {
        throw new BackendError('upstream down', { reason: 'upstream_unavailable', upstreamStatus: 503 });
      },
    });
    const { handler } = setup(
      {
        rateLimits: { rules: [{ scope: 'tenant', unit: 'images', limit: 5 }] },
        dispatch: { retry: { maxRetries: 0 } },
      },
      {},
      provider,
    );
    const response = await handler(
      post('/v1/inference/images/generate', { model: 'mock/mock-image', prompt: 'x', n: 2 }),
    );
    expect(response.status).toBe(502);
    expect((await body(response)).error).toMatchObject({
      code: 'BACKEND_ERROR',
      details: { reason: 'upstream_unavailable' },
    });
    expect(response.headers.get('x-ratelimit-limit-images')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining-images')).toBe('3');
    // A request refused before the rate-limit step carries none.
    const invalid = await handler(
      post('/v1/inference/images/generate', { model: 'mock/mock-image', prompt: 'x', size: '1x1' }),
    );
    expect(invalid.headers.get('x-ratelimit-limit-images')).toBeNull();
  });

  it('counts concurrent requests exactly and keeps request ids apart', async () => {
    const { handler } = setup({ rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 10 }] } });
    const responses = await Promise.all(
      Array.from({ length: 15 }, (_, index) =>
        handler(
          post(
            '/v1/images/generations',
            { model: 'mock-image', prompt: `fox ${index}` },
            { headers: { 'x-request-id': `concurrent-${index}` } },
          ),
        ),
      ),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(10);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(5);
    expect(responses.map((response) => response.headers.get('x-request-id'))).toEqual(
      Array.from({ length: 15 }, (_, index) => `concurrent-${index}`),
    );
    const remaining = responses
      .filter((response) => response.status === 200)
      .map((response) => Number(response.headers.get('x-ratelimit-remaining-requests')));
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('applies CORS only when configured, for allowed origins', async () => {
    const plain = setup();
    const noCors = await plain.handler(get('/v1/models', KEY_A, { origin: 'https://app.example.com' }));
    expect(noCors.headers.get('access-control-allow-origin')).toBeNull();

    const { handler } = setup({}, { cors: { origins: ['https://app.example.com'] } });
    const preflight = await handler(
      new Request(`${ORIGIN}/v1/images/generations`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, x-stainless-os',
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('x-request-id')).toMatch(/^req_/);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-stainless-os',
    );
    const denied = await handler(
      new Request(`${ORIGIN}/v1/images/generations`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
      }),
    );
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await handler(get('/v1/models', KEY_A, { origin: 'https://app.example.com' }));
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(actual.headers.get('vary')).toContain('Origin');
    const unauthorized = await handler(get('/v1/models', null, { origin: 'https://app.example.com' }));
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });
});

describe('failures', () => {
  it('renders unexpected provider failures as a generic 500 with no stack or secret', async () => {
    const secret = 'sk-live-supersecret-0123456789';
    const provider = createMockImageProvider({
      generate: () => {
        throw new TypeError(`cannot read properties of undefined (key ${secret})`);
      },
    });
    const { handler } = setup({}, {}, provider);
    for (const path of ['/v1/images/generations', '/v1/inference/images/generate']) {
      const response = await handler(post(path, { model: 'mock/mock-image', prompt: 'x' }));
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/TypeError|at .*\.ts|node_modules/);
      const json = JSON.parse(text);
      expect(json.error.code).toMatch(/^(internal_error|INTERNAL_ERROR)$/);
    }
  });

  it('aborts the generation when the client disconnects', async () => {
    let sawAbort = false;
    let providerStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      providerStarted = resolve;
    });
    const provider = createMockImageProvider({
      generate: (_call, context) =>
        new Promise((_resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('not aborted in time')), 10_000);
          context.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            sawAbort = true;
            reject(context.signal.reason);
          });
          providerStarted();
        }),
    });
    const { handler, gateway } = setup({}, {}, provider);
    const ended = new Promise<string | undefined>((resolve) =>
      gateway.events.once('request-end', (event) => resolve(event.errorCode)),
    );
    const controller = new AbortController();
    const pending = handler(
      post('/v1/images/generations', { model: 'mock-image', prompt: 'x' }, { signal: controller.signal }),
    );
    await started;
    controller.abort();
    const response = await pending;
    expect(sawAbort).toBe(true);
    expect(await ended).toBe('ABORTED');
    expect(response.status).toBe(499);
  });
});

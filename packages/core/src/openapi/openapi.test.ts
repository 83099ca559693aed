import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { createGateway } from '../gateway/create-gateway.ts';
import { createApiKeyAuthenticator } from '../http/api-key-authenticator.ts';
import { createHttpHandler } from '../http/http-handler.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createContractChecker } from '../testing/openapi-contract.ts';
import { solidPng } from '../testing/solid-png.ts';
import { buildOpenApiDocument } from './openapi-document.ts';
import { ROUTE_DOCS } from './openapi-routes.ts';

const KEY = 'pg-openapi-contract-key-0123456789';
const ORIGIN = 'http://gateway.test';

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by the standard validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(buildOpenApiDocument({ serverUrl: ORIGIN }));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route under the deployment prefix, with unique operation ids', () => {
    const document = buildOpenApiDocument({ pathPrefix: '/oai' }) as { paths: Record<string, object> };
    for (const route of ROUTE_DOCS) expect(Object.keys(document.paths)).toContain(`/oai${route.path}`);
    const ids = ROUTE_DOCS.map((route) => route.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes the request with the request schema: unknown fields refused, the fields documented', () => {
    const document = buildOpenApiDocument() as {
      components: {
        schemas: Record<string, { properties: Record<string, unknown>; additionalProperties: unknown }>;
      };
    };
    const request = document.components.schemas.CreateImageRequest!;
    expect(request.additionalProperties).toBe(false);
    expect(Object.keys(request.properties)).toEqual(
      expect.arrayContaining(['prompt', 'model', 'size', 'n', 'response_format']),
    );
  });
});

describe('the contract checker', () => {
  const check = createContractChecker(buildOpenApiDocument());
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'x-request-id': 'req_1', ...headers },
    });

  it('reports a body that drifted from the schema, an undocumented status and a missing header', async () => {
    const drifted = await check(
      'POST',
      '/v1/images/generations',
      json(200, { created: 'yesterday', data: [], extra: 1 }),
    );
    expect(drifted.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('/created'), expect.stringContaining('additional')]),
    );
    expect((await check('GET', '/v1/models', json(418, {}))).problems).toEqual([
      'status 418 is not documented',
    ]);
    const bare = new Response('{"object":"list","data":[]}', {
      headers: { 'content-type': 'application/json' },
    });
    expect((await check('GET', '/v1/models', bare)).problems).toEqual(['header x-request-id is missing']);
    expect((await check('GET', '/v1/nowhere', json(404, {}))).problems).toEqual(['route is not documented']);
  });
});

describe('contract: real responses of every route match the document', () => {
  const provider = createMockImageProvider({ models: [MOCK_MODEL] });
  const gateway = createGateway({
    providers: [provider],
    rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 12, windowMs: 60_000 }] },
  });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'key-1', key: KEY, tenantId: 'tenant-1' }] }),
    maxBodyBytes: 4096,
  });
  const check = createContractChecker(buildOpenApiDocument({ serverUrl: ORIGIN }));
  const exercised = new Set<string>();
  afterAll(() => gateway.close());

  const call = async (method: string, path: string, init: RequestInit & { key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
    const response = await handler(new Request(`${ORIGIN}${path}`, { ...init, method, headers }));
    const result = await check(method, path, response);
    exercised.add(`${result.operation}:${response.status}`);
    expect(result.problems, `${method} ${path} -> ${response.status}`).toEqual([]);
    return response;
  };
  const postJson = (path: string, body: unknown, init: RequestInit & { key?: string | null } = {}) =>
    call('POST', path, {
      ...init,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });

  it('generations: 200 with b64_json and with url, and the errors', async () => {
    expect((await postJson('/v1/images/generations', { prompt: 'a lighthouse', model: 'mock' })).status).toBe(
      200,
    );
    const withUrl = await postJson('/v1/images/generations', {
      prompt: 'a lighthouse',
      response_format: 'url',
      model: 'mock',
    });
    expect(withUrl.status).toBe(200);
    expect(
      (await postJson('/v1/images/generations', { prompt: 'x', size: '7x7', model: 'mock' })).status,
    ).toBe(400);
    expect(
      (await postJson('/v1/images/generations', { prompt: 'x' }, { key: 'wrong-key-0123456789' })).status,
    ).toBe(401);
    expect((await postJson('/v1/images/generations', { prompt: 'x', model: 'nope/none' })).status).toBe(404);
    expect((await call('GET', '/v1/images/generations')).status).toBe(405);
    expect((await postJson('/v1/images/generations', { prompt: 'x'.repeat(5000) })).status).toBe(413);
    const form = await call('POST', '/v1/images/generations', {
      body: 'prompt=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(form.status).toBe(415);
  });

  it('native generate: 200 with metadata, 400 for an unqualified model, provider failures', async () => {
    const ok = await postJson('/v1/inference/images/generate', {
      prompt: 'a lighthouse',
      model: 'mock/mock-image',
      metadata: { order: '7' },
    });
    expect(ok.status).toBe(200);
    expect(
      (await postJson('/v1/inference/images/generate', { prompt: 'x', model: 'mock-image' })).status,
    ).toBe(400);
  });

  it('models: the list, one model, and an unknown one', async () => {
    expect((await call('GET', '/v1/models')).status).toBe(200);
    expect((await call('GET', `/v1/models/${encodeURIComponent('mock/mock-image')}`)).status).toBe(200);
    expect((await call('GET', '/v1/models/unknown')).status).toBe(404);
    expect((await call('GET', '/v1/models', { key: null })).status).toBe(401);
  });

  it('media: the image, a range, not modified, and an unknown token', async () => {
    const generated = await postJson('/v1/images/generations', {
      prompt: 'a lighthouse',
      response_format: 'url',
      model: 'mock',
    });
    const url = new URL(((await generated.json()) as { data: Array<{ url: string }> }).data[0]!.url);
    const media = await call('GET', url.pathname, { key: null });
    expect(media.status).toBe(200);
    const etag = media.headers.get('etag')!;
    expect((await call('GET', url.pathname, { key: null, headers: { range: 'bytes=0-9' } })).status).toBe(
      206,
    );
    expect((await call('GET', url.pathname, { key: null, headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    expect((await call('GET', '/v1/media/not-a-token', { key: null })).status).toBe(404);
  });

  it('rate limiting: 429 with Retry-After in the documented envelope', async () => {
    let status = 200;
    for (let attempt = 0; attempt < 20 && status !== 429; attempt++) {
      status = (await postJson('/v1/images/generations', { prompt: 'again', model: 'mock' })).status;
    }
    expect(status).toBe(429);
  });

  it('serves the document itself at /openapi.json', async () => {
    const response = await call('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('edits, variations and streams: 200 (JSON, multipart and events) and the upload errors', async () => {
    const editor = {
      ...MOCK_MODEL,
      id: 'editor',
      aliases: [],
      capabilities: {
        ...MOCK_MODEL.capabilities,
        edit: { maxImages: 16, input: { maxBytes: 64 * 1024, maxPixels: 1024 * 1024 } },
        variation: { input: { maxBytes: 64 * 1024, maxPixels: 1024 * 1024 } },
        stream: { maxPartialImages: 3 },
      },
    };
    const mock = createMockImageProvider({ models: [editor] });
    const uploads = createGateway({
      providers: [mock],
    });
    const uploadHandler = createHttpHandler(uploads, {
      authenticate: createApiKeyAuthenticator({ keys: [{ id: 'key-1', key: KEY, tenantId: 'tenant-1' }] }),
      uploads: { maxFileBytes: 4096, maxTotalBytes: 64 * 1024 },
    });
    const send = async (path: string, body: BodyInit, contentType?: string) => {
      const headers = new Headers({ authorization: `Bearer ${KEY}` });
      if (contentType) headers.set('content-type', contentType);
      const response = await uploadHandler(
        new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body }),
      );
      const result = await check('POST', path, response);
      exercised.add(`${result.operation}:${response.status}`);
      expect(result.problems, `POST ${path} -> ${response.status}`).toEqual([]);
      return response;
    };
    const png = new File([new Uint8Array(solidPng(32, 32))], 'a.png', { type: 'image/png' });
    const form = (fields: Record<string, string>, files: Record<string, File> = { image: png }) => {
      const body = new FormData();
      for (const [name, file] of Object.entries(files)) body.append(name, file);
      for (const [name, value] of Object.entries(fields)) body.append(name, value);
      return body;
    };
    const dataUrl = `data:image/png;base64,${Buffer.from(solidPng(32, 32)).toString('base64')}`;
    try {
      expect((await send('/v1/images/edits', form({ prompt: 'x', model: 'editor' }))).status).toBe(200);
      const json = JSON.stringify({ prompt: 'x', model: 'editor', images: [{ image_url: dataUrl }] });
      expect((await send('/v1/images/edits', json, 'application/json')).status).toBe(200);
      const fileId = JSON.stringify({ prompt: 'x', images: [{ file_id: 'file-1' }] });
      expect((await send('/v1/images/edits', fileId, 'application/json')).status).toBe(400);
      const big = new File([new Uint8Array(8192)], 'big.png', { type: 'image/png' });
      expect((await send('/v1/images/edits', form({ prompt: 'x' }, { image: big }))).status).toBe(413);
      expect((await send('/v1/images/edits', 'x', 'text/plain')).status).toBe(415);
      expect((await send('/v1/images/variations', form({ model: 'editor' }))).status).toBe(200);
      expect((await send('/v1/images/variations', form({ model: 'editor', prompt: 'x' }))).status).toBe(400);
      const native = form({ prompt: 'x', model: 'mock/editor', metadata: '{"order":"7"}' });
      expect((await send('/v1/inference/images/edit', native)).status).toBe(200);
      expect((await send('/v1/inference/images/edit', form({ prompt: 'x', model: 'editor' }))).status).toBe(
        400,
      );
      expect((await send('/v1/inference/images/variation', form({ model: 'mock/editor' }))).status).toBe(200);
      const streamed = JSON.stringify({ prompt: 'x', model: 'editor', stream: true });
      const events = await send('/v1/images/generations', streamed, 'application/json');
      expect(events.headers.get('content-type')).toContain('text/event-stream');
      expect(await events.text()).toContain('event: image_generation.completed');
    } finally {
      await uploads.close();
    }
  });

  it('every documented operation was exercised by a contract test', () => {
    const operations = new Set([...exercised].map((entry) => entry.split(':')[0]));
    for (const route of ROUTE_DOCS) expect(operations, route.operationId).toContain(route.operationId);
  });
});

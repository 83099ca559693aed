import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createApiKeyAuthenticator } from './api-key-authenticator.ts';
import { createHttpHandler, type HttpHandlerOptions } from './http-handler.ts';

/** Issue 20.2: every request for images leaves exactly one audit record, however early it is refused. */
const KEY = 'pg-audit-test-key-0123456789';
const ORIGIN = 'http://gateway.test';
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function setup(options: Partial<HttpHandlerOptions> = {}) {
  const audit = new MemoryAuditSink();
  const provider = createMockImageProvider({ models: [MOCK_MODEL] });
  const gateway = createGateway({ providers: [provider], auditSink: audit });
  gateways.push(gateway);
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'key-a', key: KEY, tenantId: 'tenant-a' }] }),
    maxBodyBytes: 2048,
    cors: { origins: ['https://app.example.com'] },
    ...options,
  });
  return { handler, audit, provider };
}

function request(
  path: string,
  init: {
    method?: string;
    body?: BodyInit;
    key?: string | null;
    type?: string | null;
    headers?: Record<string, string>;
  } = {},
): Request {
  const headers: Record<string, string> = { ...init.headers };
  if (init.type !== null) headers['content-type'] = init.type ?? 'application/json';
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? KEY}`;
  const method = init.method ?? 'POST';
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? {} : { body: init.body ?? '{}' }),
  });
}

const GOOD = JSON.stringify({ model: 'mock/mock-image', prompt: 'a fox' });

describe('one audit record per request for images, on every early exit', () => {
  const refusals: Array<[string, () => Request, number, string, string]> = [
    [
      'no API key',
      () => request('/v1/images/generations', { body: GOOD, key: null }),
      401,
      'AUTHENTICATION_ERROR',
      'anonymous',
    ],
    [
      'a wrong API key',
      () => request('/v1/images/generations', { body: GOOD, key: 'pg-wrong-key-000000000000' }),
      401,
      'AUTHENTICATION_ERROR',
      'anonymous',
    ],
    [
      'a wrong method',
      () => request('/v1/images/generations', { method: 'GET' }),
      405,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'DELETE on the native route',
      () => request('/v1/inference/images/generate', { method: 'DELETE' }),
      405,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'an unsupported content type',
      () => request('/v1/images/generations', { body: GOOD, type: 'text/plain' }),
      415,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'a missing content type',
      () => request('/v1/inference/images/generate', { body: GOOD, type: null }),
      415,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'malformed JSON',
      () => request('/v1/images/generations', { body: '{"prompt":' }),
      400,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'an empty body',
      () => request('/v1/images/generations', { body: '' }),
      400,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'a JSON array',
      () => request('/v1/inference/images/generate', { body: '[1]' }),
      400,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'a body over the limit',
      () => request('/v1/images/generations', { body: JSON.stringify({ prompt: 'x'.repeat(5000) }) }),
      413,
      'PAYLOAD_TOO_LARGE',
      'tenant-a',
    ],
    [
      'an unqualified model id on the native route',
      () =>
        request('/v1/inference/images/generate', {
          body: JSON.stringify({ model: 'mock-image', prompt: 'x' }),
        }),
      400,
      'VALIDATION_ERROR',
      'tenant-a',
    ],
    [
      'an image route that does not exist',
      () => request('/v1/images/upscale', { body: GOOD }),
      404,
      'NOT_FOUND',
      'tenant-a',
    ],
    [
      'a native image route that does not exist',
      () => request('/v1/inference/images/upscale', { body: GOOD }),
      404,
      'NOT_FOUND',
      'tenant-a',
    ],
  ];

  it.each(refusals)(
    '%s: answered %i and audited once as rejected',
    async (_name, make, status, code, tenantId) => {
      const { handler, audit, provider } = setup();
      const response = await handler(make());
      expect(response.status).toBe(status);
      const requestId = response.headers.get('x-request-id');
      expect(audit.records).toHaveLength(1);
      expect(audit.records[0]).toMatchObject({ requestId, tenantId, outcome: 'rejected', error: { code } });
      expect(provider.calls).toHaveLength(0);
      expect(JSON.stringify(audit.records[0])).not.toContain(KEY);
    },
  );

  it('names the field of a refused native model id in the record', async () => {
    const { handler, audit } = setup();
    await handler(
      request('/v1/inference/images/generate', {
        body: JSON.stringify({ model: 'mock-image', prompt: 'x' }),
      }),
    );
    expect(audit.records[0]).toMatchObject({ source: 'http:native', error: { param: 'model' } });
  });

  it('audits a throwing authenticator as a failure, once, without its message', async () => {
    let calls = 0;
    const { handler, audit } = setup({
      authenticate: () => {
        calls++;
        throw new Error('db password hunter2');
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    expect((await handler(request('/v1/images/generations', { body: GOOD }))).status).toBe(500);
    expect(calls).toBe(1);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ outcome: 'failed', error: { code: 'INTERNAL_ERROR' } });
    expect(JSON.stringify(audit.records[0])).not.toContain('hunter2');
  });

  it('audits requests the pipeline answers exactly once (success and refusal)', async () => {
    const { handler, audit } = setup();
    expect((await handler(request('/v1/images/generations', { body: GOOD }))).status).toBe(200);
    const invalid = JSON.stringify({ model: 'mock/mock-image', prompt: 'x', size: '1x1' });
    expect((await handler(request('/v1/images/generations', { body: invalid }))).status).toBe(400);
    expect(audit.records.map((record) => record.outcome)).toEqual(['success', 'rejected']);
  });

  it('does not audit what is not a request for images: models, media, preflights, other paths', async () => {
    const { handler, audit } = setup();
    expect((await handler(request('/v1/models', { method: 'GET' }))).status).toBe(200);
    expect((await handler(request('/v1/models', { method: 'GET', key: null }))).status).toBe(401);
    expect((await handler(request('/v1/media/nothing', { method: 'GET', key: null }))).status).toBe(404);
    expect((await handler(request('/v1/chat/completions', { body: GOOD }))).status).toBe(404);
    const preflight = request('/v1/images/generations', {
      method: 'OPTIONS',
      key: null,
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect((await handler(preflight)).status).toBe(204);
    expect(audit.records).toHaveLength(0);
  });

  it('keeps one record per request under concurrency, each under its own request id', async () => {
    const { handler, audit } = setup();
    const bodies = [
      '{"prompt":',
      GOOD,
      '',
      GOOD,
      '[1]',
      JSON.stringify({ model: 'mock-image', prompt: 'x' }),
    ];
    const responses = await Promise.all(
      bodies.map((body, index) =>
        handler(request(index % 2 ? '/v1/images/generations' : '/v1/inference/images/generate', { body })),
      ),
    );
    const ids = responses.map((response) => response.headers.get('x-request-id'));
    expect(new Set(ids).size).toBe(bodies.length);
    expect(audit.records.map((record) => record.requestId).sort()).toEqual([...ids].sort());
  });
});

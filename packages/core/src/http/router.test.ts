import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createApiKeyAuthenticator } from './api-key-authenticator.ts';
import { fromFetchRequest, toFetchResponse } from './fetch-exchange.ts';
import { httpPartsOf } from './http-handler.ts';
import { jsonReply } from './replies.ts';
import type { Route } from './route.ts';
import { createRouter } from './router.ts';
import { defaultRoutes } from './routes/index.ts';

const KEY = 'pg-router-test-key-0123456789';
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function setup(extra: (parts: ReturnType<typeof httpPartsOf>) => Route[]) {
  const audit = new MemoryAuditSink();
  const gateway = createGateway({
    providers: [createMockImageProvider({ models: [MOCK_MODEL] })],
    auditSink: audit,
  });
  gateways.push(gateway);
  const parts = httpPartsOf(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY, tenantId: 'tenant-a' }] }),
  });
  const router = createRouter(parts, [...defaultRoutes(parts), ...extra(parts)]);
  return {
    audit,
    call: async (request: Request) => toFetchResponse(await router(fromFetchRequest(request))),
  };
}

describe('router', () => {
  it('serves a new route from one definition, with the shared steps applied', async () => {
    const seen: Array<string | undefined> = [];
    const { call, audit } = setup((parts) => [
      {
        name: 'whoami',
        matches: (path) => path === '/v1/whoami',
        methods: ['GET'],
        style: 'native',
        authentication: 'required',
        audited: false,
        async handle(context) {
          seen.push(context.tenant?.tenantId);
          return jsonReply(context, 200, {
            tenant: context.tenant?.tenantId,
            models: parts.gateway.listModels().length,
          });
        },
      },
    ]);
    const ok = await call(
      new Request('http://x.test/v1/whoami', { headers: { authorization: `Bearer ${KEY}` } }),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await ok.json()).toEqual({ tenant: 'tenant-a', models: 1 });
    const anonymous = await call(new Request('http://x.test/v1/whoami'));
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { request_id: string } }).error.request_id).toBe(
      anonymous.headers.get('x-request-id'),
    );
    const wrongMethod = await call(new Request('http://x.test/v1/whoami', { method: 'DELETE' }));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, OPTIONS');
    expect(seen).toEqual(['tenant-a']);
    expect(audit.records).toHaveLength(0);
  });

  it('renders what a route throws in its envelope, and audits it when the route is audited', async () => {
    const { call, audit } = setup(() => [
      {
        name: 'images.broken',
        matches: (path) => path === '/v1/images/broken',
        methods: ['POST'],
        style: 'openai',
        authentication: 'required',
        audited: true,
        async handle() {
          throw new TypeError('a bug with a secret sk-123');
        },
      },
    ]);
    const response = await call(
      new Request('http://x.test/v1/images/broken', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
      }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('sk-123');
    expect(JSON.parse(text).error.code).toBe('internal_error');
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ tenantId: 'tenant-a', outcome: 'failed' });
  });
});

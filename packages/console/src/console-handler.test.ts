import { createContractChecker } from '@pixelgate/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type ConsoleServer, startConsoleServer, TENANT_KEY } from '../test/console-server.ts';

let server: ConsoleServer;
beforeAll(async () => {
  server = await startConsoleServer();
});
afterAll(() => server.close());

const get = (path: string, key?: string) =>
  fetch(`${server.url}${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
    redirect: 'manual',
  });

describe('the console handler', () => {
  it('serves the page with a strict content security policy and the vendor modules', async () => {
    const page = await get('/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self' 'sha256-");
    expect(policy).not.toContain('unsafe-eval');
    expect(await page.text()).toContain('<script type="module" src="./app.js">');
    for (const vendor of ['vendor/preact.mjs', 'vendor/hooks.mjs', 'vendor/htm.mjs']) {
      const response = await get(`/console/${vendor}`);
      expect(response.status, vendor).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
  });

  it('redirects the bare paths and serves nothing outside its allow-list', async () => {
    expect((await get('/console')).headers.get('location')).toMatch(/\/console\/$/);
    expect((await get('/docs/')).headers.get('location')).toMatch(/\/docs$/);
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/vendor/../../src/index.ts',
      '/console/nothing.js',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
    }
  });

  it('serves the reference page and the OpenAPI document that lists the console routes', async () => {
    const docs = await get('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui-bundle.js');
    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/console/usage', '/v1/console/audit', '/v1/images/generations']),
    );
  });

  it('answers usage and audit only to a signed-in key, each tenant its own records, an admin all', async () => {
    expect((await get('/v1/console/usage')).status).toBe(401);
    const usage = (await (await get('/v1/console/usage', TENANT_KEY)).json()) as {
      tenant_id: string;
      budgets: Array<{ limit_usd: number }>;
    };
    expect(usage.tenant_id).toBe('studio');
    expect(usage.budgets[0]?.limit_usd).toBe(5);
    const generate = (key: string) =>
      fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/placeholder', prompt: 'a harbour at dawn', size: '512x512' }),
      });
    const first = await generate(TENANT_KEY);
    expect(first.status, await first.clone().text()).toBe(200);
    expect((await generate(ADMIN_KEY)).status).toBe(200);
    type Audit = { admin: boolean; records: Array<{ tenantId: string }>; chain: { state: string } };
    const own = (await (await get('/v1/console/audit', TENANT_KEY)).json()) as Audit;
    expect(own.admin).toBe(false);
    expect(own.records.length).toBeGreaterThan(0);
    expect(new Set(own.records.map((record) => record.tenantId))).toEqual(new Set(['studio']));
    expect(own.chain.state).toBe('verified');
    const all = (await (await get('/v1/console/audit', ADMIN_KEY)).json()) as Audit;
    expect(all.admin).toBe(true);
    expect(new Set(all.records.map((record) => record.tenantId))).toEqual(new Set(['studio', 'operators']));
    const check = createContractChecker(
      (await (await get('/openapi.json')).json()) as Record<string, unknown>,
    );
    for (const [path, key] of [
      ['/v1/console/usage', TENANT_KEY],
      ['/v1/console/audit', ADMIN_KEY],
      ['/v1/console/audit?limit=x', TENANT_KEY],
      ['/v1/console/usage', undefined],
    ] as const) {
      const response = await get(path, key);
      expect((await check('GET', path.split('?')[0]!, response)).problems, path).toEqual([]);
    }
    const bad = await get('/v1/console/audit?limit=0', TENANT_KEY);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('limit');
  });
});

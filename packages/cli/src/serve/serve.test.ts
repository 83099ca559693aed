import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { createMemoryStorage, type StorageAdapter } from '@pixelgate/core';
import { createMockImageProvider } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli.ts';
import { startServer } from '../commands/serve.ts';
import { parseCliConfig } from '../config.ts';
import { memoryIo, tempDir } from '../test-support.ts';

let temp: Awaited<ReturnType<typeof tempDir>>;
const closers: Array<() => Promise<void>> = [];
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await temp.remove();
});

const PROMPT = 'a lighthouse guarded by a dragon';

/** Starts `serve` in-process with the mock provider (and no local provider); returns its URL and logs. */
async function serve(config: object = {}, env: Record<string, string> = {}, storage?: StorageAdapter) {
  const memory = memoryIo(temp.dir, env);
  const provider = createMockImageProvider();
  const running = await startServer(
    { port: 0 },
    parseCliConfig({ providers: { local: false }, ...config }),
    memory.io,
    { providers: [provider], ...(storage ? { storageAdapter: storage } : {}) },
  );
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await running.close();
  };
  closers.push(close);
  return {
    url: running.url,
    tracesTo: running.tracesTo,
    memory,
    close,
    logs: () => logLines(memory.stdout()),
  };
}

function logLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function generate(url: string, body: object) {
  return fetch(`${url}/v1/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('serve logs', () => {
  it('writes one JSON line per request with id, tenant, route, status, model, images, error code and duration', async () => {
    const server = await serve();
    const ok = await generate(server.url, {
      model: 'mock/mock-image',
      prompt: PROMPT,
      size: '256x256',
      response_format: 'url',
    });
    expect(ok.status).toBe(200);
    const { data } = (await ok.json()) as { data: Array<{ url: string }> };
    const refused = await generate(server.url, { model: 'mock/mock-image', prompt: PROMPT, n: 99 });
    expect(refused.status).toBe(400);
    expect((await fetch(new URL(data[0]?.url as string, server.url))).status).toBe(200);
    await server.close();
    const requests = server.logs().filter((line) => line.msg === 'request');
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({
      level: 'info',
      requestId: ok.headers.get('x-request-id'),
      tenant: 'local',
      method: 'POST',
      route: '/v1/images/generations',
      status: 200,
      model: 'mock/mock-image',
      images: 1,
      outcome: 'success',
      durationMs: expect.any(Number),
    });
    expect(requests[1]).toMatchObject({
      level: 'warn',
      requestId: refused.headers.get('x-request-id'),
      status: 400,
      images: 0,
      outcome: 'rejected',
      errorCode: 'VALIDATION_ERROR',
    });
    // The media token is a credential: its route is logged without it.
    expect(requests[2]).toMatchObject({ method: 'GET', route: '/v1/media/:token', status: 200 });
    const everything = server.memory.stdout();
    expect(everything).not.toContain('lighthouse');
    expect(everything).not.toContain(new URL(data[0]?.url as string, server.url).pathname);
  });

  it('logs an internal error with its stack, and answers a generic 500', async () => {
    const memory = memoryIo(temp.dir);
    const broken = createMockImageProvider({
      generate: () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    const running = await startServer(
      { port: 0 },
      parseCliConfig({ providers: { local: false } }),
      memory.io,
      {
        providers: [broken],
      },
    );
    closers.push(() => running.close());
    const response = await generate(running.url, { model: 'mock/mock-image', prompt: PROMPT });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(await response.text()).not.toContain('cannot read properties');
    const lines = logLines(memory.stdout());
    const failure = lines.find((line) => line.level === 'error' && line.msg !== 'request') as
      | { err?: { stack?: string; message?: string }; requestId?: string }
      | undefined;
    expect(failure?.err?.stack).toContain('TypeError: cannot read properties of undefined');
    expect(failure?.requestId).toBe(response.headers.get('x-request-id'));
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({
      level: 'error',
      errorCode: expect.any(String),
    });
  });

  it('takes the level from the config, else LOG_LEVEL, and refuses a level it does not know', async () => {
    const quiet = await serve({}, { LOG_LEVEL: 'warn' });
    await generate(quiet.url, { model: 'mock/mock-image', prompt: PROMPT });
    await generate(quiet.url, { model: 'mock/mock-image', prompt: PROMPT, n: 99 });
    await quiet.close();
    expect(quiet.logs().map((line) => line.level)).toEqual(['warn', 'warn']); // no-auth warning, the 400
    const configured = await serve({ log: { level: 'error' } }, { LOG_LEVEL: 'debug' });
    await configured.close();
    expect(configured.logs()).toEqual([]);
    const memory = memoryIo(temp.dir, { LOG_LEVEL: 'loud' });
    expect(await main(['serve', '--port', '0'], memory.io)).toBe(2);
    expect(memory.stderr()).toBe(
      'pixelgate: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"\n',
    );
  });
});

describe('serve startup checks', () => {
  it('exits 2 with one line when a provider is enabled without its key', async () => {
    for (const [providers, variable] of [
      [{ openai: {} }, 'OPENAI_API_KEY'],
      [{ google: { api: 'gemini' } }, 'GEMINI_API_KEY'],
    ] as const) {
      await writeFile(join(temp.dir, 'c.json'), JSON.stringify({ providers }));
      const refused = memoryIo(temp.dir);
      expect(await main(['serve', '--port', '0', '-c', 'c.json'], refused.io)).toBe(2);
      expect(refused.stderr()).toBe(
        `pixelgate: CONFIGURATION_ERROR (providers.${Object.keys(providers)[0]}.apiKey): provider ${Object.keys(providers)[0]} is enabled but has no API key: set ${variable} or providers.${Object.keys(providers)[0]}.apiKey\n`,
      );
      expect(refused.stdout()).toBe('');
    }
  });
});

describe('health and metrics routes', () => {
  it('answers /healthz, and /readyz with every check, 503 naming the parts that fail', async () => {
    let storageDown = false;
    const memoryStore = createMemoryStorage();
    const storage: StorageAdapter = {
      ...memoryStore,
      id: 'flaky',
      async verify() {
        if (storageDown) throw new Error('connection refused');
      },
    };
    const server = await serve({}, {}, storage);
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { storage: { ok: true }, auditLog: { ok: true }, providers: { ok: true } },
    });
    storageDown = true;
    await rm(join(temp.dir, 'pixelgate-data', 'audit'), { recursive: true, force: true });
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      status: 'not ready',
      failing: ['storage', 'auditLog'],
      checks: { storage: { ok: false, detail: 'connection refused' }, providers: { ok: true } },
    });
    // Probes are not request log lines.
    expect(server.logs().filter((line) => line.msg === 'request')).toEqual([]);
  });

  it('serves the metrics as Prometheus text, or not at all when turned off', async () => {
    const server = await serve();
    await generate(server.url, { model: 'mock/mock-image', prompt: PROMPT, n: 2 });
    await generate(server.url, { model: 'mock/mock-image', prompt: PROMPT, n: 99 });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toMatch(
      /^pixelgate_requests_total\{gen_ai_request_model="mock\/mock-image",gen_ai_provider_name="mock",pixelgate_outcome="success".*\} 1$/m,
    );
    expect(text).toMatch(
      /^pixelgate_requests_total\{pixelgate_outcome="rejected",error_type="VALIDATION_ERROR".*\} 1$/m,
    );
    expect(text).toMatch(/^pixelgate_images_total\{.*\} 2$/m);
    expect(text).toMatch(
      /^gen_ai_client_operation_duration_count\{gen_ai_operation_name="generate_content".*\} 1$/m,
    );
    expect(text).not.toContain('lighthouse');
    const off = await serve({ telemetry: { metrics: false } });
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
  });
});

describe('traces', () => {
  it('exports spans over OTLP/HTTP when an endpoint is configured, flushing them on shutdown', async () => {
    const received: Array<{ path: string; body: string }> = [];
    const collector: Server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => collector.close(() => resolve())));
    const address = collector.address() as { port: number };
    const server = await serve({
      telemetry: { otlp: { endpoint: `http://127.0.0.1:${address.port}`, metrics: false } },
    });
    expect(server.tracesTo).toBe(`http://127.0.0.1:${address.port}/v1/traces`);
    await generate(server.url, { model: 'mock/mock-image', prompt: PROMPT });
    await server.close();
    const traces = received.filter((request) => request.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    const body = traces.map((request) => request.body).join('\n');
    expect(body).toContain('generate_content mock/mock-image');
    expect(body).toContain('gen_ai.provider.name');
    expect(body).not.toContain('lighthouse');
  });
});

describe('the console and the API reference in serve', () => {
  it('serves /console/, /docs and a document that lists the console routes on a loopback address', async () => {
    const server = await serve({
      auth: { keys: [{ id: 'k', key: 'pg-serve-console-key-0123456789', tenantId: 'studio' }] },
    });
    const page = await fetch(`${server.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/console/audit', '/v1/images/generations']),
    );
    const audit = await fetch(`${server.url}/v1/console/audit`, {
      headers: { authorization: 'Bearer pg-serve-console-key-0123456789' },
    });
    const chain = ((await audit.json()) as { chain: { state: string; detail: string } }).chain;
    expect(chain.state, chain.detail).toBe('verified');
  });

  it('leaves the console off when the config says so', async () => {
    const server = await serve({ console: { enabled: false } });
    expect((await fetch(`${server.url}/console/`)).status).toBe(404);
  });
});

import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { createMockImageProvider } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli.ts';
import { startServer } from '../commands/serve.ts';
import { parseCliConfig } from '../config.ts';
import { UsageError } from '../io.ts';
import { memoryIo, tempDir } from '../test-support.ts';
import { otlpConfigOf, parseOtlpHeaders, resolveOtlpSettings } from './otlp-settings.ts';

let temp: Awaited<ReturnType<typeof tempDir>>;
const closers: Array<() => Promise<void>> = [];
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await temp.remove();
});

const SECRET = 'Bearer otlp-collector-secret-0123456789';

interface Export {
  path: string;
  contentType: string;
  authorization: string | undefined;
  tenant: string | string[] | undefined;
  body: string;
}

/** An OTLP/HTTP receiver on 127.0.0.1: records every POST, and resolves waiters as exports arrive. */
async function startReceiver() {
  const received: Export[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const known = request.method === 'POST' && ['/v1/metrics', '/v1/traces'].includes(request.url ?? '');
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        authorization: request.headers.authorization,
        tenant: request.headers['x-tenant'],
        body,
      });
      response.writeHead(known ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  /** Resolves once the receiver holds an export on each path, or fails after `timeoutMs`. */
  async function until(paths: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!paths.every((path) => received.some((entry) => entry.path === path))) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no export on ${paths.join(', ')} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  return { url: `http://127.0.0.1:${port}`, received, until };
}

async function serve(config: object, env: Record<string, string> = {}) {
  const memory = memoryIo(temp.dir, env);
  const running = await startServer(
    { port: 0 },
    parseCliConfig({ providers: { local: false }, ...config }),
    memory.io,
    { providers: [createMockImageProvider()] },
  );
  closers.push(() => running.close());
  return { running, memory };
}

function generate(url: string) {
  return fetch(`${url}/v1/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-image', prompt: 'a lighthouse guarded by a dragon' }),
  });
}

describe('OTLP export from serve', () => {
  it('pushes metrics and traces with the configured header while running, and never logs the header', async () => {
    const receiver = await startReceiver();
    const { running, memory } = await serve(
      {
        telemetry: {
          otlp: { endpoint: `${receiver.url}/`, headers: { authorization: SECRET }, metricsIntervalMs: 200 },
        },
      },
      { OTEL_BSP_SCHEDULE_DELAY: '100' },
    );
    expect((await generate(running.url)).status).toBe(200);
    // Exports arrive while the server runs (interval 200 ms, span batches every 100 ms).
    await receiver.until(['/v1/metrics', '/v1/traces'], 20_000);
    // Prometheus stays served alongside.
    expect(await (await fetch(`${running.url}/metrics`)).text()).toContain('pixelgate_requests_total');
    await running.close();
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    for (const entry of receiver.received) {
      expect(entry.authorization).toBe(SECRET);
      expect(entry.contentType).toBe('application/json');
    }
    const metrics = receiver.received.filter((entry) => entry.path === '/v1/metrics');
    expect(metrics.map((entry) => entry.body).join('\n')).toContain('pixelgate.requests');
    const traces = receiver.received.filter((entry) => entry.path === '/v1/traces');
    expect(traces.map((entry) => entry.body).join('\n')).toContain('generate_content mock/mock-image');
    for (const entry of receiver.received) expect(entry.body).not.toContain('lighthouse');
    const logs = memory.stdout();
    expect(logs).not.toContain('otlp-collector-secret');
    const line = logs
      .split('\n')
      .filter(Boolean)
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('telemetry exported'));
    expect(line).toMatchObject({
      metricsTo: `${receiver.url}/v1/metrics`,
      tracesTo: `${receiver.url}/v1/traces`,
    });
  });

  it('falls back to OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS; the config endpoint and headers win', async () => {
    const fromEnv = await startReceiver();
    const fromConfig = await startReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: fromEnv.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env-secret,x-tenant=t1',
    };
    const envOnly = await serve({}, env);
    await generate(envOnly.running.url);
    await envOnly.running.close(); // flushes the last metrics and spans
    expect(fromEnv.received.map((entry) => entry.path).sort()).toEqual(
      expect.arrayContaining(['/v1/metrics', '/v1/traces']),
    );
    expect(fromEnv.received.every((entry) => entry.authorization === 'Bearer env-secret')).toBe(true);
    expect(envOnly.memory.stdout()).not.toContain('env-secret');

    const before = fromEnv.received.length;
    const configured = await serve(
      {
        telemetry: { otlp: { endpoint: fromConfig.url, headers: { authorization: SECRET }, traces: false } },
      },
      env,
    );
    await generate(configured.running.url);
    await configured.running.close();
    expect(fromEnv.received.length).toBe(before);
    expect(fromConfig.received.map((entry) => entry.path)).toContain('/v1/metrics');
    expect(fromConfig.received.map((entry) => entry.path)).not.toContain('/v1/traces');
    expect(fromConfig.received.every((entry) => entry.authorization === SECRET)).toBe(true);
    expect(fromConfig.received.every((entry) => entry.tenant === 't1')).toBe(true);
    expect(configured.memory.stdout()).not.toContain('secret');
  });

  it('exports nothing and logs no export line without an endpoint', async () => {
    expect(resolveOtlpSettings(undefined, {})).toBeUndefined();
    const { running, memory } = await serve({});
    expect(running.tracesTo).toBeUndefined();
    expect(running.metricsTo).toBeUndefined();
    expect(memory.stdout()).not.toContain('telemetry exported');
  });
});

describe('OTLP settings', () => {
  it('refuses bad settings with the field and what is accepted', () => {
    expect(() => parseCliConfig({ telemetry: { otlp: { endpoint: 'ftp://collector' } } })).toThrow(
      /telemetry\.otlp\.endpoint.*http/s,
    );
    expect(() =>
      parseCliConfig({ telemetry: { otlp: { endpoint: 'http://c:4318', metricsIntervalMs: 5 } } }),
    ).toThrow(/telemetry\.otlp\.metricsIntervalMs/);
    expect(() => resolveOtlpSettings({ traces: true, metrics: true }, {})).toThrow(
      new UsageError(
        'telemetry.otlp needs an endpoint: set telemetry.otlp.endpoint (http://collector:4318) or OTEL_EXPORTER_OTLP_ENDPOINT',
      ),
    );
    expect(() => parseOtlpHeaders('authorization=Bearer x,oops')).toThrow(
      'OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas; pair 2 is not',
    );
    expect(() => parseOtlpHeaders('secret-value-without-key')).not.toThrow(/secret-value/);
    expect(() =>
      resolveOtlpSettings(undefined, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
        OTEL_BSP_SCHEDULE_DELAY: 'soon',
      }),
    ).toThrow('OTEL_BSP_SCHEDULE_DELAY must be a whole number of milliseconds (1 or more), got "soon"');
  });

  it('stops serve with exit 2 and one line when telemetry.otlp has no endpoint anywhere', async () => {
    await writeFile(
      join(temp.dir, 'c.json'),
      JSON.stringify({ telemetry: { otlp: { metricsIntervalMs: 1000 } } }),
    );
    const refused = memoryIo(temp.dir);
    expect(await main(['serve', '--port', '0', '-c', 'c.json'], refused.io)).toBe(2);
    expect(refused.stderr()).toBe(
      'pixelgate: telemetry.otlp needs an endpoint: set telemetry.otlp.endpoint (http://collector:4318) or OTEL_EXPORTER_OTLP_ENDPOINT\n',
    );
    expect(refused.stdout()).toBe('');
  });

  it('uses the signal-specific variables as full URLs, and the config interval over OTEL_METRIC_EXPORT_INTERVAL', () => {
    expect(
      resolveOtlpSettings(
        { traces: true, metrics: true, metricsIntervalMs: 1000 },
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/custom/traces',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318/',
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
        },
      ),
    ).toEqual({
      tracesUrl: 'http://t:4318/custom/traces',
      metricsUrl: 'http://base:4318/v1/metrics',
      headers: {},
      metricsIntervalMs: 1000,
    });
  });

  it('reads the earlier telemetry.otlpEndpoint as otlp.endpoint, and refuses both at once', () => {
    const config = parseCliConfig({ telemetry: { otlpEndpoint: 'http://collector:4318' } });
    expect(resolveOtlpSettings(otlpConfigOf(config.telemetry), {})).toMatchObject({
      tracesUrl: 'http://collector:4318/v1/traces',
      metricsUrl: 'http://collector:4318/v1/metrics',
    });
    expect(() =>
      otlpConfigOf({
        otlpEndpoint: 'http://a:4318',
        otlp: { endpoint: 'http://b:4318', traces: true, metrics: true },
      }),
    ).toThrow(UsageError);
  });
});

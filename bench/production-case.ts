// One runner of the production benchmark in its own process, so its CPU time and peak RSS are its
// own: raw fetch, the official openai SDK, pixelgate in process (minimal or production
// configuration), or pixelgate's HTTP server driven by the openai SDK (server and client in this
// process, so "CPU per request" counts both). Talks only to the wire server on 127.0.0.1.
// Prints one JSON line of figures.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApiKeyAuthenticator,
  createBlocklistGuardrail,
  createDefaultGuardrails,
  createFileAuditSink,
  createGateway,
  createHttpHandler,
  type Gateway,
  type GatewayOptions,
  generateAuditSigningKey,
} from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import OpenAI from 'openai';

export type Runner = 'raw' | 'openai-sdk' | 'pixelgate-minimal' | 'pixelgate-production' | 'pixelgate-http';

const [runner, port, width, n, sequential, concurrent] = [
  process.argv[2] as Runner,
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
  Number(process.argv[6]),
  Number(process.argv[7]),
];
const wire = `http://127.0.0.1:${port}/v1`;
const size = `${width}x${width}`;
const API_KEY = 'pg-bench-key-0123456789abcdef';
const MODEL = {
  id: 'bench-image',
  provider: 'openai',
  extends: 'gpt-image-1.5',
  capabilities: { sizes: ['64x64', '1024x1024'] },
};

interface Setup {
  once(): Promise<void>;
  close(): Promise<void>;
}

/** What a hand-written client does: POST, read the text, parse it, decode each image. */
function rawFetch(): Setup {
  return {
    async once() {
      const response = await fetch(`${wire}/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
        body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', n, size }),
      });
      const body = JSON.parse(await response.text()) as { data: Array<{ b64_json: string }> };
      for (const image of body.data) Buffer.from(image.b64_json, 'base64');
    },
    async close() {},
  };
}

function sdk(baseURL: string, apiKey: string, model: string): Setup {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  return {
    async once() {
      const result = await client.images.generate({
        model,
        prompt: 'a lighthouse at dusk',
        n,
        size: size as '1024x1024',
      });
      for (const image of result.data ?? []) Buffer.from(image.b64_json ?? '', 'base64');
    },
    async close() {},
  };
}

/** The configuration `pixelgate serve` runs with: signed file audit log, budget, rate limit, guardrails, storage always. */
async function productionOptions(): Promise<{ options: GatewayOptions; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-bench-audit-'));
  const auditSink = createFileAuditSink({
    dir,
    signingKey: generateAuditSigningKey().privateKey,
    durability: { batchMs: 5, maxBatch: 256 },
  });
  await auditSink.open();
  return {
    options: {
      providers: [createOpenAIProvider({ apiKey: 'bench', baseURL: wire })],
      models: [MODEL],
      auditSink,
      guardrails: [...createDefaultGuardrails(), createBlocklistGuardrail({ terms: ['forbidden-term'] })],
      budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 1_000_000 }] },
      rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 10_000_000, windowMs: 60_000 }] },
      storage: { mode: 'always' },
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function inProcess(gateway: Gateway, cleanup: () => Promise<void>): Setup {
  const request = {
    model: 'openai/bench-image',
    prompt: 'a lighthouse at dusk',
    n,
    size,
    response_format: 'b64_json' as const,
  };
  return {
    async once() {
      const result = await gateway.generate(request, { tenant: { tenantId: 'bench' } });
      // A deployment sweeps stored images; the bench removes each run's so memory measures one request.
      await Promise.all(
        result.images.map((image) =>
          image.storageKey ? gateway.storage.delete(image.storageKey) : undefined,
        ),
      );
    },
    async close() {
      await gateway.close();
      await cleanup();
    },
  };
}

async function setup(): Promise<Setup> {
  if (runner === 'raw') return rawFetch();
  if (runner === 'openai-sdk') return sdk(wire, 'bench', 'gpt-image-1');
  if (runner === 'pixelgate-minimal') {
    const gateway = createGateway({
      providers: [createOpenAIProvider({ apiKey: 'bench', baseURL: wire })],
      models: [MODEL],
    });
    return inProcess(gateway, async () => {});
  }
  const production = await productionOptions();
  const gateway = createGateway(production.options);
  if (runner === 'pixelgate-production') return inProcess(gateway, production.cleanup);
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'bench', key: API_KEY, tenantId: 'bench' }] }),
  });
  const server = await listen(handler, { port: 0 });
  const client = sdk(`${server.url}/v1`, API_KEY, 'openai/bench-image');
  return {
    once: client.once,
    async close() {
      await server.close();
      await gateway.close();
      await production.cleanup();
    },
  };
}

const subject = await setup();
for (let i = 0; i < Math.max(20, Math.ceil(sequential / 5)); i++) await subject.once();
const latencies: number[] = [];
const cpuStart = process.cpuUsage();
for (let i = 0; i < sequential; i++) {
  const started = performance.now();
  await subject.once();
  latencies.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuStart);
let next = 0;
const throughputStart = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < concurrent) {
      next++;
      await subject.once();
    }
  }),
);
const throughputMs = performance.now() - throughputStart;
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
process.stdout.write(
  `${JSON.stringify({
    p50: pick(0.5),
    mean: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / sequential,
    requestsPerSecond: concurrent > 0 ? (concurrent / throughputMs) * 1000 : 0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
await subject.close();

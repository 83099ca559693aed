// A child process serving one side of the HTTP benchmark, so its CPU and peak RSS are its own:
//   fake                 the OpenAI fake server (@pixelgate/provider-openai/testing)
//   wire <width> <noise> a minimal OpenAI-shaped server returning n copies of one pre-encoded PNG
//   pixelgate <baseURL>  a pixelgate node:http server (OpenAI provider pointed at <baseURL>)
// Prints {"baseURL": ..., "imageBytes"?: ...} on stdout. Stdin lines: `mark` starts CPU
// accounting (answered with {"marked":true}), `stats` prints {"cpuMs", "peakRssMb"}; closing
// stdin exits.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { HTTP_EXCHANGE_HANDLER } from '@pixelgate/core/adapter-utils';
import { listen } from '@pixelgate/node';
import { renderImage } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { FAKE_OPENAI_API_KEY, startFakeOpenAIServer } from '@pixelgate/provider-openai/testing';

const BENCH_PIXELGATE_KEY = 'pg-bench-key-0123456789abcdef';

const mode = process.argv[2];
let close: () => Promise<void>;
const handlerMs: number[] = [];
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let info: Record<string, unknown>;

if (mode === 'fake') {
  const fake = await startFakeOpenAIServer();
  close = () => fake.close();
  info = { baseURL: fake.baseURL };
} else if (mode === 'wire') {
  const width = Number(process.argv[3] ?? 1024);
  const bytes = await renderImage({
    width,
    height: width,
    noise: Number(process.argv[4] ?? 0),
    prompt: 'bench',
    seed: 1,
  });
  const b64 = Buffer.from(bytes).toString('base64');
  const bodies = new Map<number, Buffer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { n = 1 } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { n?: number };
      let body = bodies.get(n);
      if (!body) {
        body = Buffer.from(
          JSON.stringify({
            created: 1,
            data: Array.from({ length: n }, () => ({ b64_json: b64 })),
            output_format: 'png',
          }),
        );
        bodies.set(n, body);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  info = {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    imageBytes: bytes.byteLength,
  };
} else if (mode === 'pixelgate') {
  const upstream = process.argv[3]!;
  const gateway = createGateway({
    providers: [createOpenAIProvider({ baseURL: upstream, apiKey: FAKE_OPENAI_API_KEY })],
    // Images are not kept in process memory between requests (b64_json is served inline), so
    // peak RSS reflects request handling rather than an ever-growing in-memory store.
    storage: { mode: 'url_only' },
  });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({
      keys: [{ id: 'bench', key: BENCH_PIXELGATE_KEY, tenantId: 'bench' }],
    }),
  });
  // Timed at the router, so @pixelgate/node keeps its Node-native fast path (no web Request/Response).
  const router = handler[HTTP_EXCHANGE_HANDLER];
  const timed = Object.assign(handler.bind(null), {
    [HTTP_EXCHANGE_HANDLER]: async (exchange: Parameters<typeof router>[0]) => {
      const started = performance.now();
      const reply = await router(exchange);
      handlerMs.push(performance.now() - started);
      return reply;
    },
  });
  const server = await listen(timed, { port: 0, host: '127.0.0.1' });
  close = async () => {
    await server.close();
    await gateway.close();
  };
  info = { baseURL: `${server.url}/v1` };
} else {
  throw new Error(`unknown mode ${mode}`);
}

let cpuMark = process.cpuUsage();
process.stdout.write(`${JSON.stringify(info)}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'mark') {
    cpuMark = process.cpuUsage();
    handlerMs.length = 0;
    loopDelay.reset();
    // Acknowledged, so the driver starts its load only once accounting has started.
    process.stdout.write('{"marked":true}\n');
  }
  if (line === 'stats') {
    const cpu = process.cpuUsage(cpuMark);
    const sorted = [...handlerMs].sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        cpuMs: (cpu.user + cpu.system) / 1000,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        handlerP50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      })}\n`,
    );
  }
});
lines.on('close', () => {
  void close().then(() => process.exit(0));
});

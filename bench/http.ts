import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const here = fileURLToPath(new URL('.', import.meta.url));
const TSX = ['--import', 'tsx', '--conditions=@pixelgate/source'];
const FAKE_OPENAI_API_KEY = 'sk-test-fakeopenai-0123456789abcdefABCDEF';
const BENCH_PIXELGATE_KEY = 'pg-bench-key-0123456789abcdef';

interface Stats {
  cpuMs: number;
  peakRssMb: number;
  handlerP50Ms?: number;
  loopDelayP99Ms?: number;
}

interface Child {
  info: { baseURL: string; imageBytes?: number };
  stats(): Promise<Stats>;
  mark(): Promise<void>;
  stop(): Promise<void>;
}

async function startChild(args: string[]): Promise<Child> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...TSX, 'http-server.ts', ...args], {
    cwd: here,
    stdio: 'pipe',
  });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const lines: Interface = createInterface({ input: child.stdout });
  const queue: Array<(line: string) => void> = [];
  lines.on('line', (line) => queue.shift()?.(line));
  const next = () =>
    new Promise<string>((resolve, reject) => {
      queue.push(resolve);
      child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
    });
  const info = JSON.parse(await next()) as Child['info'];
  return {
    info,
    async mark() {
      const line = next();
      child.stdin.write('mark\n');
      await line;
    },
    async stats() {
      const line = next();
      child.stdin.write('stats\n');
      return JSON.parse(await line) as Stats;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

interface Load {
  latencies: number[];
  seconds: number;
}

/** `total` calls with at most `concurrency` in flight; latencies in ms. */
async function drive(call: () => Promise<unknown>, total: number, concurrency: number): Promise<Load> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

const pick = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

interface Case {
  name: string;
  upstream: string[];
  model: string;
  n: number;
  total: number;
  warmup: number;
  concurrency: number;
}

async function measure(
  client: OpenAI,
  c: Case,
  model: string,
  server: Child,
): Promise<Record<string, number>> {
  const call = async () => {
    const result = await client.images.generate({
      model,
      prompt: 'a lighthouse at dusk',
      n: c.n,
      size: '1024x1024',
    });
    if ((result.data?.length ?? 0) !== c.n || !result.data?.[0]?.b64_json)
      throw new Error('bench: wrong answer');
  };
  // Warm-up at the measured concurrency, long enough for both servers' hot paths to be compiled.
  await drive(call, c.warmup, c.concurrency);
  await server.mark();
  const load = await drive(call, c.total, c.concurrency);
  const stats = await server.stats();
  return {
    p50: pick(load.latencies, 0.5),
    p95: pick(load.latencies, 0.95),
    rps: c.total / load.seconds,
    seconds: load.seconds,
    cpuMsPerRequest: stats.cpuMs / c.total,
    peakRssMb: stats.peakRssMb,
    handlerP50Ms: stats.handlerP50Ms ?? 0,
    loopDelayP99Ms: stats.loopDelayP99Ms ?? 0,
  };
}

/**
 * The OpenAI SDK calling an OpenAI fake server directly, versus through a pixelgate node:http
 * server (API-key auth, full pipeline with default guardrails, OpenAI provider plugin) in front
 * of the same fake. Small: a smooth 1024x1024 PNG from the provider-openai fake at concurrency 16.
 * Large: n=4 noisy ~1.4 MB PNGs from a fixed-body OpenAI-shaped server (the fake renders without
 * noise, so its images are small), 4 in flight. Servers run in their own processes; "server"
 * CPU and peak RSS are the fake's for the direct path and pixelgate's for the pixelgate path.
 * Goals: pixelgate throughput >= 0.5x direct; large-image p50 <= 2x direct.
 */
export async function runHttpBench(): Promise<Array<Record<string, string | number>>> {
  const cases: Case[] = [
    {
      name: 'small 1024x1024 (smooth), n=1, concurrency 16',
      upstream: ['fake'],
      model: 'gpt-image-1-mini',
      n: 1,
      total: 960,
      warmup: 240,
      concurrency: 16,
    },
    {
      name: 'large 1024x1024 (noisy), n=4, concurrency 4',
      upstream: ['wire', '1024', '0.35'],
      model: 'gpt-image-1.5',
      n: 4,
      total: 40,
      warmup: 12,
      concurrency: 4,
    },
  ];
  const rows: Array<Record<string, string | number>> = [];
  for (const c of cases) {
    const upstream = await startChild(c.upstream);
    const pixelgate = await startChild(['pixelgate', upstream.info.baseURL]);
    try {
      // Two alternating rounds, best of each path: this runs on a small shared machine, and one
      // noisy neighbour should not decide the comparison.
      const directClient = new OpenAI({
        apiKey: FAKE_OPENAI_API_KEY,
        baseURL: upstream.info.baseURL,
        maxRetries: 0,
      });
      const throughClient = new OpenAI({
        apiKey: BENCH_PIXELGATE_KEY,
        baseURL: pixelgate.info.baseURL,
        maxRetries: 0,
      });
      let direct: Record<string, number> | undefined;
      let through: Record<string, number> | undefined;
      for (let round = 0; round < 2; round++) {
        const d = await measure(directClient, c, c.model, upstream);
        const t = await measure(throughClient, c, `openai/${c.model}`, pixelgate);
        if (!direct || d.rps! > direct.rps!) direct = d;
        if (!through || t.rps! > through.rps!) through = t;
      }
      if (!direct || !through) throw new Error('bench: no rounds');
      const size = upstream.info.imageBytes
        ? `, ${(upstream.info.imageBytes / 1e6).toFixed(2)} MB/image`
        : '';
      rows.push({
        case: `${c.name}${size}`,
        'direct p50/p95 ms': `${direct.p50!.toFixed(1)} / ${direct.p95!.toFixed(1)}`,
        'pixelgate p50/p95 ms': `${through.p50!.toFixed(1)} / ${through.p95!.toFixed(1)}`,
        'req/s direct → pixelgate': `${direct.rps!.toFixed(1)} → ${through.rps!.toFixed(1)} (${(through.rps! / direct.rps!).toFixed(2)}x)`,
        'p50 pixelgate / direct': `${(through.p50! / direct.p50!).toFixed(2)}x`,
        'server CPU ms/req (fake | pixelgate)': `${direct.cpuMsPerRequest!.toFixed(2)} | ${through.cpuMsPerRequest!.toFixed(2)}`,
        'server peak RSS MB (fake | pixelgate)': `${direct.peakRssMb!.toFixed(0)} | ${through.peakRssMb!.toFixed(0)}`,
        'pixelgate handler p50 ms / loop delay p99 ms': `${through.handlerP50Ms!.toFixed(1)} / ${through.loopDelayP99Ms!.toFixed(1)}`,
      });
    } finally {
      await pixelgate.stop();
      await upstream.stop();
    }
  }
  return rows;
}

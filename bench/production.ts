import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runChild, withWireServer } from './children.ts';
import type { Runner } from './production-case.ts';

interface Figures {
  p50: number;
  mean: number;
  cpuMsPerRequest: number;
  requestsPerSecond: number;
  peakRssMb: number;
}

const RUNNERS: Runner[] = [
  'raw',
  'openai-sdk',
  'pixelgate-minimal',
  'pixelgate-production',
  'pixelgate-http',
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Issue 12's table: raw `fetch` (+ text, JSON.parse, base64 decode) as the baseline, the official
 * openai SDK, pixelgate in process with the defaults ("minimal") and with the configuration
 * `pixelgate serve` runs ("production": signed file audit log with batched durability, a budget, a
 * rate limit, the built-in guardrails plus a blocklist, storage always, b64_json), and pixelgate's
 * HTTP server with API keys driven by the openai SDK. Small image (64x64 PNG, n=1): p50 of
 * sequential requests, CPU per request (client and, for HTTP, server), requests/s at concurrency
 * 16. Large (1024x1024 ~1.4 MB PNG, n=4): mean time and peak RSS. Every runner in its own process,
 * `BENCH_ROUNDS` rounds (default 3) with the order rotated; medians, with the spread, as ratios to
 * raw. The figures are also written to bench/results/production.json.
 */
export async function runProductionBench(): Promise<Array<Record<string, string | number>>> {
  const small = new Map<Runner, Figures[]>(RUNNERS.map((runner) => [runner, []]));
  const large = new Map<Runner, Figures[]>(RUNNERS.map((runner) => [runner, []]));
  await withWireServer(64, 0, async (port) => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const runner of rotate(RUNNERS, round)) {
        small
          .get(runner)!
          .push(
            await runChild<Figures>(['production-case.ts', runner, String(port), '64', '1', '400', '800']),
          );
      }
    }
  });
  await withWireServer(1024, 0.12, async (port) => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const runner of rotate(RUNNERS, round)) {
        large
          .get(runner)!
          .push(
            await runChild<Figures>(['production-case.ts', runner, String(port), '1024', '4', '12', '0']),
          );
      }
    }
  });
  const baseline = { small: summary(small.get('raw')!), large: summary(large.get('raw')!) };
  const rows = RUNNERS.map((runner) => {
    const s = summary(small.get(runner)!);
    const l = summary(large.get(runner)!);
    return {
      runner,
      'p50 ms (ratio)': cell(s.p50, baseline.small.p50),
      'CPU ms/req (ratio)': cell(s.cpuMsPerRequest, baseline.small.cpuMsPerRequest),
      'req/s at 16 (ratio)': cell(s.requestsPerSecond, baseline.small.requestsPerSecond),
      'large n=4 ms (ratio)': cell(l.mean, baseline.large.mean),
      'large peak RSS MB (ratio)': cell(l.peakRssMb, baseline.large.peakRssMb),
    };
  });
  const out = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(out, { recursive: true });
  await writeFile(
    `${out}production.json`,
    `${JSON.stringify({ rounds: ROUNDS, at: new Date().toISOString(), node: process.version, small: Object.fromEntries(small), large: Object.fromEntries(large), rows }, null, 2)}\n`,
  );
  return rows;
}

function rotate<T>(list: T[], by: number): T[] {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

type Summary = Record<keyof Figures, { median: number; min: number; max: number }>;

function summary(runs: Figures[]): Summary {
  const keys = Object.keys(runs[0]!) as Array<keyof Figures>;
  return Object.fromEntries(
    keys.map((key) => {
      const values = runs.map((run) => run[key]);
      return [key, { median: median(values), min: Math.min(...values), max: Math.max(...values) }];
    }),
  ) as Summary;
}

function cell(value: Summary[keyof Figures], base: Summary[keyof Figures]): string {
  const digits = value.median >= 100 ? 0 : value.median >= 10 ? 1 : 2;
  return `${value.median.toFixed(digits)} [${value.min.toFixed(digits)}-${value.max.toFixed(digits)}] (${(value.median / base.median).toFixed(2)}x)`;
}

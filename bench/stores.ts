// Stores benchmark: the per-request cost of the shared stores (Redis budget + rate limit, the
// PostgreSQL audit sink) next to the in-process ones (memory stores, the file audit sink), through
// gateway.generate() at concurrency 16 with an instant provider, so the stores are what differs;
// and audited requests per second into PostgreSQL with three writer processes. Uses the machine's
// Redis and PostgreSQL (PIXELGATE_TEST_REDIS_URL / PIXELGATE_TEST_POSTGRES_URL, default the local
// ones) under a fresh key prefix and schema, removed afterwards.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { generateAuditSigningKey } from '../packages/core/src/audit/audit-chain.ts';
import { createFileAuditSink } from '../packages/core/src/audit/file-audit-sink.ts';
import { MemoryAuditSink } from '../packages/core/src/audit/memory-audit-sink.ts';
import { createGateway } from '../packages/core/src/gateway/create-gateway.ts';
import type { AuditSink, BudgetStore, ImageProvider, RateLimitStore } from '../packages/core/src/spec.ts';
import { solidPng } from '../packages/core/src/testing/solid-png.ts';
import {
  createPostgresAuditSink,
  migrate,
  verifyPostgresAuditLog,
} from '../packages/store-postgres/src/index.ts';
import { createRedisStores } from '../packages/store-redis/src/index.ts';

type Row = Record<string, string | number>;
const here = fileURLToPath(new URL('.', import.meta.url));
const REDIS_URL = process.env.PIXELGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.PIXELGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = 16;
const REQUESTS = 2000;

const png = solidPng(64, 64);
/** Answers at once: the provider costs nothing, so the stores are what the cases compare. */
const instant: ImageProvider = {
  specificationVersion: 'v1',
  id: 'instant',
  models: [
    {
      id: 'bench',
      provider: 'instant',
      capabilities: { sizes: ['256x256'], maxImagesPerCall: 1, maxPromptLength: 4000 },
      pricing: { perImage: [{ usd: 0.01 }] },
    },
  ],
  async generate() {
    return { images: [{ bytes: png, mediaType: 'image/png' }] };
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function measure(
  name: string,
  stores: { budgetStore?: BudgetStore; rateLimitStore?: RateLimitStore; auditSink: AuditSink },
): Promise<Row & { p50: number }> {
  const gateway = createGateway({
    providers: [instant],
    ...stores,
    guardrails: [],
    budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 1_000_000 }] },
    rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 1_000_000_000 }] },
  });
  const request = {
    model: 'instant/bench',
    prompt: 'a lighthouse',
    size: '256x256',
    response_format: 'b64_json' as const,
  };
  const run = async (count: number, latencies?: number[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < count) {
          const started = performance.now();
          const result = await gateway.generate(request);
          latencies?.push(performance.now() - started);
          await gateway.storage.delete(result.images[0]!.storageKey!);
        }
      }),
    );
  };
  await run(200);
  const latencies: number[] = [];
  const started = performance.now();
  await run(REQUESTS, latencies);
  const seconds = (performance.now() - started) / 1000;
  await gateway.close();
  latencies.sort((a, b) => a - b);
  return {
    stores: name,
    requests: REQUESTS,
    'req/s': Math.round(REQUESTS / seconds),
    'p50 ms': percentile(latencies, 0.5).toFixed(2),
    'p95 ms': percentile(latencies, 0.95).toFixed(2),
    p50: percentile(latencies, 0.5),
  };
}

async function writers(schema: string, keyPem: string, count: number, ms: number): Promise<Row> {
  const runs = await Promise.all(
    Array.from(
      { length: count },
      (_, id) =>
        new Promise<{ records: number; seconds: number }>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              '--conditions=@pixelgate/source',
              'stores-writer.ts',
              POSTGRES_URL,
              schema,
              Buffer.from(keyPem).toString('base64'),
              String(ms),
              '64',
              String(id),
            ],
            {
              cwd: here,
              stdio: ['ignore', 'pipe', 'inherit'],
              env: { ...process.env, TSX_TSCONFIG_PATH: '../tsconfig.base.json' },
            },
          );
          let out = '';
          child.stdout.on('data', (chunk) => (out += chunk));
          child.on('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`writer exited ${code}`)),
          );
        }),
    ),
  );
  const records = runs.reduce((sum, run) => sum + run.records, 0);
  const seconds = Math.max(...runs.map((run) => run.seconds));
  const verdict = await verifyPostgresAuditLog({ url: POSTGRES_URL, schema, publicKeys: [keyPem] });
  return {
    writers: `${count} processes × 64 in flight`,
    records,
    seconds: seconds.toFixed(2),
    'audited records/s': Math.round(records / seconds),
    'one chain verifies': verdict.ok
      ? `yes (${verdict.records} records)`
      : `NO: ${verdict.firstBroken?.reason}`,
  };
}

/** Rows for `npm run bench`. */
export async function runStoresBench(): Promise<Row[]> {
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const key = generateAuditSigningKey();
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-stores-bench-'));
  const rows: Row[] = [];
  try {
    await migrate({ url: POSTGRES_URL, schema });
    const base = await measure('memory + memory audit', { auditSink: new MemoryAuditSink() });
    const file = await measure('memory + file audit (fsync)', {
      auditSink: createFileAuditSink({ dir, signingKey: key.privateKey }),
    });
    const redis = createRedisStores({ url: REDIS_URL, prefix });
    const shared = await measure('Redis + PostgreSQL audit', {
      budgetStore: redis.budgetStore,
      rateLimitStore: redis.rateLimitStore,
      auditSink: createPostgresAuditSink({ url: POSTGRES_URL, schema, signingKey: key.privateKey }),
    });
    const redisOnly = await measure('Redis + memory audit', {
      budgetStore: redis.budgetStore,
      rateLimitStore: redis.rateLimitStore,
      auditSink: new MemoryAuditSink(),
    });
    await redis.close();
    const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(2)} ms`;
    for (const row of [base, file, redisOnly, shared]) {
      const { p50, ...rest } = row;
      rows.push({
        ...rest,
        'p50 vs memory': signed(p50 - base.p50),
        'p50 vs memory+file': signed(p50 - file.p50),
      });
    }
    const pgWriters = `bench_${randomBytes(6).toString('hex')}`;
    await migrate({ url: POSTGRES_URL, schema: pgWriters });
    try {
      rows.push(await writers(pgWriters, key.privateKeyPem, 3, 3000));
    } finally {
      await dropSchema(pgWriters);
    }
  } finally {
    await dropSchema(schema);
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

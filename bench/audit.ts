// Audit benchmark: throughput of the file audit sink (hash chain, canonical JSON, Ed25519
// checkpoints every 1000 records). Every mode is durable (a write resolves once its record is
// synced) and group-commits adaptively: a lone record is written at once, the records that arrive
// during a sync share the next one. Cases: 1 writer (the latency of a lone request), 32 and 256
// concurrent writers, with the default batch cap (256) and a `{ maxBatch: 256 }` setting that
// still carries the old `batchMs: 5` (now ignored). Each case runs for a bounded time (about 1 s)
// in a fresh temporary directory on the local disk; figures depend on the disk's fsync latency and
// the CPU (hashing, canonical JSON, the safety check). `write` latency is the time until the
// record is synced; CPU is the process's user+system time per record.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  auditRecordSchema,
  createFileAuditSink,
  type FileAuditSinkOptions,
  generateAuditSigningKey,
  promptForAudit,
  verifyAuditLog,
} from '../packages/core/src/audit/index.ts';

type Row = Record<string, string | number>;

const CASE_MS = 1000;
const MAX_RECORDS = 200_000;

function sampleRecord(index: number): AuditRecord {
  return auditRecordSchema.parse({
    v: 1,
    requestId: `req_${index}`,
    timestamp: new Date().toISOString(),
    tenantId: `tenant_${index % 7}`,
    userId: `user_${index % 31}`,
    keyId: 'key_live_1',
    source: 'http:openai',
    requestedModel: 'dall-e-3',
    model: 'openai/dall-e-3',
    provider: 'openai',
    parameters: { n: 1, size: '1024x1024', quality: 'standard', response_format: 'url' },
    prompt: promptForAudit(`a lighthouse on a cliff at dusk, number ${index}, write to someone@example.com`),
    verdicts: [{ guardrail: 'pii', stage: 'input', action: 'redact', labels: ['pii:email'] }],
    labels: ['pii:email'],
    outcome: 'success',
    images: [
      {
        sha256: 'c'.repeat(64),
        sizeBytes: 1_482_113,
        mediaType: 'image/png',
        width: 1024,
        height: 1024,
        storageKey: `img/2026/11/21/${index}.png`,
      },
    ],
    cost: { estimatedUsd: 0.04, actualUsd: 0.04, basis: 'per_image' },
    timings: { total: 2312, dispatch: 2250, audit: 1 },
    upstreamRequestIds: [`up_${index}`],
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2));
}

async function runCase(
  name: string,
  durability: FileAuditSinkOptions['durability'],
  concurrency: number,
): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-audit-bench-'));
  const key = generateAuditSigningKey();
  const records = Array.from({ length: 1024 }, (_, i) => sampleRecord(i));
  const sink = createFileAuditSink({
    dir,
    signingKey: key.privateKey,
    durability,
    checkpointEvery: { records: 1000 },
  });
  try {
    await sink.open();
    let written = 0;
    const latencies: number[] = [];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const deadline = started + CASE_MS;
    const worker = async () => {
      while (performance.now() < deadline && written < MAX_RECORDS) {
        const index = written++;
        const before = performance.now();
        await sink.write(records[index % records.length]!);
        latencies.push(performance.now() - before);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await sink.close();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const verification = await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem] });
    return {
      mode: name,
      writers: concurrency,
      records: written,
      seconds: Number(seconds.toFixed(2)),
      'records/s': Math.round(written / seconds),
      'write p50 ms': percentile(latencies, 0.5),
      'write p99 ms': percentile(latencies, 0.99),
      'CPU µs/record': Math.round((cpu.user + cpu.system) / Math.max(1, written)),
      verified: verification.ok ? 'yes' : `NO: ${verification.firstBroken?.reason ?? ''}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rows for `npm run bench`: records per second per durability mode. */
export async function runAuditBench(): Promise<Row[]> {
  return [
    await runCase('fsync (default)', 'fsync', 1),
    await runCase('fsync (default)', 'fsync', 32),
    await runCase('{ maxBatch: 256, batchMs: 5 }', { batchMs: 5, maxBatch: 256 }, 32),
    await runCase('{ maxBatch: 256, batchMs: 5 }', { batchMs: 5, maxBatch: 256 }, 256),
  ];
}

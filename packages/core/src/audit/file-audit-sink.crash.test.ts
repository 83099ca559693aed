// A real crash: a child process writes audit records and is killed with SIGKILL mid-stream. Every
// record whose `write` had resolved (the child printed its id) must survive, the log must verify
// after a restart, and the chain must continue.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAuditSigningKey, sortAuditFiles } from './audit-chain.ts';
import { auditRecordSchema } from './audit-record.ts';
import { verifyAuditLog } from './cli/verify-audit-log.ts';
import { createFileAuditSink } from './file-audit-sink.ts';

const key = generateAuditSigningKey();
const sinkModule = pathToFileURL(fileURLToPath(new URL('./file-audit-sink.ts', import.meta.url))).href;
const schemaModule = pathToFileURL(fileURLToPath(new URL('./audit-record.ts', import.meta.url))).href;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pixelgate-crash-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const CHILD = `
import { createFileAuditSink } from ${JSON.stringify(sinkModule)};
import { auditRecordSchema } from ${JSON.stringify(schemaModule)};
const [dir, keyPem, mode] = process.argv.slice(2);
const sink = createFileAuditSink({
  dir,
  signingKey: keyPem,
  checkpointEvery: 7,
  durability: mode === 'fsync' ? 'fsync' : { batchMs: 2, maxBatch: 16 },
});
const record = (i) => auditRecordSchema.parse({
  v: 1, requestId: 'req_' + i, timestamp: new Date().toISOString(), tenantId: 'acme', source: 'library',
  outcome: 'success', parameters: { padding: 'x'.repeat(i % 50) },
});
let next = 0;
async function worker() {
  // Bounded: the parent kills the process long before this ends.
  while (next < 100000) {
    const id = next++;
    await sink.write(record(id));
    process.stdout.write(id + '\\n');
  }
}
await Promise.all(Array.from({ length: mode === 'fsync' ? 1 : 8 }, worker));
`;

async function crashChild(dir: string, mode: 'fsync' | 'batched', acks: number): Promise<Set<string>> {
  const script = join(root, 'child.mts');
  await writeFile(script, CHILD);
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, key.privateKeyPem, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
  });
  const acked = new Set<string>();
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      buffer += data.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) acked.add(`req_${line}`);
      if (acked.size >= acks && !child.killed) {
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr.slice(0, 2000)}`)),
    );
  });
  return acked;
}

async function loggedIds(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of sortAuditFiles(await readdir(dir))) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      try {
        const entry = JSON.parse(line) as { requestId?: string };
        if (entry.requestId) ids.push(entry.requestId);
      } catch {
        // the partial last line
      }
    }
  }
  return ids;
}

describe.each(['fsync', 'batched'] as const)('crash of a writing process (%s)', (mode) => {
  it('keeps every acknowledged record and recovers the chain', async () => {
    const dir = join(root, 'log');
    const acked = await crashChild(dir, mode, 120);
    const logged = new Set(await loggedIds(dir));
    for (const id of acked) expect(logged.has(id)).toBe(true);

    const restarted = createFileAuditSink({ dir, signingKey: key.privateKey, checkpointEvery: 7 });
    await restarted.write(
      auditRecordSchema.parse({
        v: 1,
        requestId: 'after-restart',
        timestamp: new Date().toISOString(),
        tenantId: 'acme',
        source: 'library',
        outcome: 'success',
      }),
    );
    await restarted.close();
    const result = await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem] });
    expect(result.firstBroken).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.records).toBe(logged.size + 1);
    expect(result.records).toBeGreaterThan(acked.size);
  });
});

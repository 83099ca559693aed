import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditSigningKey, hashAuditEntry, sortAuditFiles } from '../audit/audit-chain.ts';
import type { AuditSink } from '../audit/audit-record.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { verifyAuditLog } from '../audit/cli/verify-audit-log.ts';
import { createFileAuditSink } from '../audit/file-audit-sink.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createMemoryBudgetStore } from '../budget/memory-budget-store.ts';
import { createMemoryRateLimitStore } from '../rate-limit/memory-rate-limit-store.ts';
import {
  type AuditTamperKind,
  conformanceAuditRecord,
  describeAuditSinkConformance,
} from './audit-sink-conformance.ts';
import { describeBudgetStoreConformance } from './budget-conformance.ts';
import { describeRateLimitStoreConformance } from './rate-limit-conformance.ts';

// The kits run against core's own stores, which proves the kits as much as the stores.
describeBudgetStoreConformance({ name: 'memory', createStore: () => createMemoryBudgetStore() });
describeRateLimitStoreConformance({ name: 'memory', createStore: () => createMemoryRateLimitStore() });
describeAuditSinkConformance({
  name: 'memory',
  createSink: () => new MemoryAuditSink(),
  readRecords: async (sink) => (sink as MemoryAuditSink).records,
});

const key = generateAuditSigningKey();
const dirs = new WeakMap<AuditSink, string>();

async function logLines(dir: string): Promise<Array<{ file: string; lines: string[] }>> {
  const files = sortAuditFiles(await readdir(dir));
  return Promise.all(
    files.map(async (file) => ({
      file,
      lines: (await readFile(join(dir, file), 'utf8')).split('\n').filter((line) => line !== ''),
    })),
  );
}

/** Rewrites the log the way each tamper kind describes, working on record lines only. */
async function tamperFileLog(dir: string, kind: AuditTamperKind, seq: number): Promise<void> {
  for (const { file, lines } of await logLines(dir)) {
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = entries.findIndex((entry) => entry.seq === seq && entry.type === undefined);
    if (at < 0) continue;
    const target = entries[at]!;
    if (kind === 'edit') entries[at] = { ...target, tenantId: 'someone-else' };
    if (kind === 'delete') entries.splice(at, 1);
    if (kind === 'reorder') {
      const next = entries.findIndex((entry) => entry.seq === seq + 1 && entry.type === undefined);
      [entries[at], entries[next]] = [entries[next]!, target];
    }
    if (kind === 'insert' || kind === 'rewrite') {
      if (kind === 'insert') {
        const extra = { ...conformanceAuditRecord(99), seq: seq + 1, prevHash: target.hash };
        entries.splice(at + 1, 0, { ...extra, hash: hashAuditEntry(extra) });
      } else {
        const changed = { ...target, tenantId: 'someone-else' };
        entries[at] = { ...changed, hash: hashAuditEntry(changed) };
      }
      // Renumber and rehash every later record, as a forger without the key would.
      let previous = entries[at]!;
      for (let index = at + 1; index < entries.length; index++) {
        const entry = entries[index]!;
        if (entry.type !== undefined) continue;
        const moved = { ...entry, seq: (previous.seq as number) + 1, prevHash: previous.hash };
        entries[index] = { ...moved, hash: hashAuditEntry(moved) };
        previous = entries[index]!;
      }
    }
    await writeFile(join(dir, file), entries.map((entry) => `${canonicalJson(entry)}\n`).join(''));
    return;
  }
  throw new Error(`record ${seq} not found`);
}

describeAuditSinkConformance({
  name: 'file',
  capabilities: { chained: true, lifecycle: true, scrubs: true },
  async createSink() {
    const dir = await mkdtemp(join(tmpdir(), 'pixelgate-audit-kit-'));
    const sink = createFileAuditSink({ dir, signingKey: key.privateKey, checkpointEvery: 5 });
    dirs.set(sink, dir);
    return sink;
  },
  async readRecords(sink) {
    const records: Array<Record<string, unknown>> = [];
    for (const { lines } of await logLines(dirs.get(sink)!)) {
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.type === undefined) records.push(entry);
      }
    }
    return records;
  },
  async verify(sink) {
    const result = await verifyAuditLog(dirs.get(sink)!, { publicKeys: [key.publicKeyPem] });
    return {
      ok: result.ok,
      records: result.records,
      ...(result.firstBroken ? { reason: result.firstBroken.reason } : {}),
    };
  },
  tamper: (sink, kind, seq) => tamperFileLog(dirs.get(sink)!, kind, seq),
  async createUnavailableSink() {
    // The "directory" is a regular file: the log cannot be opened, so nothing may be acknowledged.
    const parent = await mkdtemp(join(tmpdir(), 'pixelgate-audit-kit-'));
    const blocker = join(parent, 'not-a-directory');
    await writeFile(blocker, 'x');
    const sink = createFileAuditSink({ dir: blocker, signingKey: key.privateKey });
    dirs.set(sink, parent);
    return sink;
  },
  async cleanup(sinks) {
    for (const sink of sinks) {
      const dir = dirs.get(sink);
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  },
});

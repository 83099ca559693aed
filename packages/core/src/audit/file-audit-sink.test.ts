import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AuditCheckpoint,
  chainAuditLine,
  generateAuditSigningKey,
  hashAuditEntry,
  signCheckpoint,
  sortAuditFiles,
} from './audit-chain.ts';
import { type AuditRecord, auditRecordSchema } from './audit-record.ts';
import { assertAuditSafe, promptForAudit, scrubAuditRecord, stripAuditBase64 } from './audit-safety.ts';
import { canonicalJson } from './canonical-json.ts';
import { verifyAuditLog } from './cli/verify-audit-log.ts';
import { createFileAuditSink, type FileAuditSinkOptions } from './file-audit-sink.ts';

const key = generateAuditSigningKey();
let dir: string;
const sinks: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixelgate-audit-'));
});
afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

function record(index: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return auditRecordSchema.parse({
    v: 1,
    requestId: `req_${index}`,
    timestamp: new Date(Date.UTC(2026, 10, 21, 12, 0, index % 60)).toISOString(),
    tenantId: index % 2 ? 'acme' : 'globex',
    source: 'library',
    model: 'local/draw',
    provider: 'local',
    outcome: 'success',
    prompt: promptForAudit(`a lighthouse number ${index}, mail me at bob@example.com`),
    labels: ['pii:email'],
    images: [{ sha256: 'a'.repeat(64), sizeBytes: 1234, mediaType: 'image/png', width: 64, height: 64 }],
    ...overrides,
  });
}

function sink(extra: Partial<FileAuditSinkOptions> = {}) {
  const created = createFileAuditSink({ dir, signingKey: key.privateKeyPem, checkpointEvery: 5, ...extra });
  sinks.push(created);
  return created;
}

const verify = (options: { allowUnsignedTail?: boolean; expectSeq?: number } = {}) =>
  verifyAuditLog(dir, { publicKeys: [key.publicKeyPem], ...options });

async function files(): Promise<string[]> {
  return sortAuditFiles(await readdir(dir));
}
async function lines(file: string): Promise<string[]> {
  return (await readFile(join(dir, file), 'utf8')).split('\n').filter((line) => line !== '');
}
async function writeLines(file: string, content: string[]): Promise<void> {
  await writeFile(join(dir, file), content.map((line) => `${line}\n`).join(''));
}

describe('createFileAuditSink', () => {
  it('writes canonical, chained records with signed checkpoints that verify', async () => {
    const s = sink();
    for (let i = 1; i <= 12; i++) await s.write(record(i));
    await s.close();
    const [file] = await files();
    const content = await lines(file!);
    const entries = content.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(content.every((line, i) => canonicalJson(entries[i]) === line)).toBe(true);
    // A new log opens with a checkpoint over nothing, which names the key from the first line.
    expect(entries.filter((e) => e.type === 'checkpoint').map((e) => [e.n, e.seq, e.reason])).toEqual([
      [1, 0, 'open'],
      [2, 5, 'count'],
      [3, 10, 'count'],
      [4, 12, 'close'],
    ]);
    const records = entries.filter((e) => e.type === undefined);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(records[0]!.prevHash).toBe('0'.repeat(64));
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(records[3]!.hash).toBe(hashAuditEntry(records[3]!));
    const result = await verify();
    expect(result).toMatchObject({ ok: true, records: 12, checkpoints: 4, lastSeq: 12, keyIds: [key.keyId] });
  });

  it('keeps 500 concurrent writes ordered in one valid chain (batched)', async () => {
    const s = sink({ durability: { batchMs: 2, maxBatch: 64 }, checkpointEvery: 100 });
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.write(record(i + 1))));
    await s.close();
    const result = await verify();
    expect(result).toMatchObject({ ok: true, records: 500 });
    const all = (await Promise.all((await files()).map(lines)))
      .flat()
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ids = all.filter((e) => e.type === undefined).map((e) => e.requestId);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => `req_${i + 1}`));
  });

  it('writes a lone record at once: no batch timer, even with an old batchMs setting', async () => {
    // An hour-long batchMs would hold this write for an hour if the sink still waited on a timer.
    const s = sink({ durability: { batchMs: 3_600_000, maxBatch: 256 } });
    await s.write(record(1));
    expect(s.stats()).toMatchObject({ seq: 1, commits: 1 });
    await s.write(record(2));
    expect(s.stats()).toMatchObject({ seq: 2, commits: 2 });
  });

  it('groups the records that arrive during a sync into the next write (durable mode)', async () => {
    const s = sink({ durability: { maxBatch: 16 }, checkpointEvery: 1000 });
    await s.open();
    const writes = Array.from({ length: 200 }, (_, i) => s.write(record(i + 1)));
    await Promise.all(writes);
    const { seq, commits } = s.stats();
    expect(seq).toBe(200);
    // The records queued while a sync ran share the next one, capped at maxBatch a write.
    expect(commits).toBeLessThan(200);
    expect(commits).toBeGreaterThanOrEqual(Math.ceil(200 / 16));
    await s.close();
    expect(await verify()).toMatchObject({ ok: true, records: 200 });
  });

  it('never resolves a write before its record is on disk', async () => {
    const s = sink({ durability: 'fsync', checkpointEvery: 1000 });
    const writes = Array.from({ length: 50 }, (_, i) =>
      s.write(record(i + 1)).then(async () => {
        // At the moment a write resolves, its record is in the file.
        const all = (await Promise.all((await files()).map(lines))).flat();
        return all.some((line) => line.includes(`"requestId":"req_${i + 1}"`));
      }),
    );
    expect(await Promise.all(writes)).toEqual(Array(50).fill(true));
  });

  it('checkpoints on a timer started by the first unsigned record, and says so in the checkpoint', async () => {
    const s = sink({ checkpointEvery: { records: 1000, ms: 20 } });
    await s.write(record(1));
    await vi.waitFor(() => expect(s.stats().checkpoints).toBe(2), { timeout: 10_000, interval: 10 });
    const [file] = await files();
    const checkpoint = JSON.parse((await lines(file!)).at(-1)!) as Record<string, unknown>;
    expect(checkpoint).toMatchObject({ type: 'checkpoint', seq: 1, reason: 'interval', nextWithinMs: 20 });
    // Idle: no record unsigned, so no further checkpoint is written.
    expect(await verify()).toMatchObject({ ok: true, records: 1, unsignedTail: 0 });
  });

  it('keeps concurrent writes ordered with fsync per record', async () => {
    const s = sink({ durability: 'fsync' });
    await Promise.all(Array.from({ length: 60 }, (_, i) => s.write(record(i + 1))));
    await s.close();
    expect(await verify()).toMatchObject({ ok: true, records: 60 });
  });

  it('rotates by size; the chain continues across files', async () => {
    const s = sink({ rotate: { maxBytes: 4000 } });
    for (let i = 1; i <= 30; i++) await s.write(record(i));
    await s.close();
    const names = await files();
    expect(names.length).toBeGreaterThan(3);
    for (const name of names.slice(1)) {
      const first = JSON.parse((await lines(name))[0]!) as Record<string, unknown>;
      expect(first).toMatchObject({ type: 'checkpoint', reason: 'rotation' });
    }
    expect(await verify()).toMatchObject({ ok: true, records: 30, files: names.length });
  });

  it('rotates at the UTC day boundary with an injected clock', async () => {
    let now = Date.UTC(2026, 10, 21, 23, 59, 59, 0);
    const s = sink({ clock: { now: () => now } });
    await s.write(record(1));
    now += 1000;
    await s.write(record(2));
    await s.close();
    const names = await files();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^audit-000000000001-20261121T235959000Z\.jsonl$/);
    expect(names[1]).toMatch(/^audit-000000000002-20261122T000000000Z\.jsonl$/);
    expect(await verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('writes what was queued before close and refuses what comes after', async () => {
    const s = sink({ durability: { batchMs: 50, maxBatch: 1000 } });
    const queued = Array.from({ length: 20 }, (_, i) => s.write(record(i + 1)));
    const closing = s.close();
    await expect(s.write(record(99))).rejects.toThrow(/closed/);
    await Promise.all(queued);
    await Promise.all([closing, s.close()]);
    expect(await verify()).toMatchObject({ ok: true, records: 20 });
  });

  it('continues the chain after a clean restart', async () => {
    const first = sink();
    for (let i = 1; i <= 3; i++) await first.write(record(i));
    await first.close();
    const second = sink();
    for (let i = 4; i <= 6; i++) await second.write(record(i));
    await second.close();
    expect(await verify()).toMatchObject({ ok: true, records: 6 });
    expect(await files()).toHaveLength(1);
  });

  it('detects a crash mid-write and recovers from the last complete record', async () => {
    const crashed = createFileAuditSink({ dir, signingKey: key.privateKey, checkpointEvery: 100 });
    for (let i = 1; i <= 7; i++) await crashed.write(record(i));
    // The process dies halfway through the next line: never closed, last line cut.
    const [file] = await files();
    const half = canonicalJson({ ...record(8), seq: 8 }).slice(0, 40);
    await appendFile(join(dir, file!), half);

    const before = await verify();
    expect(before.ok).toBe(false);
    expect(before.firstBroken).toMatchObject({
      file,
      line: 9,
      reason: expect.stringMatching(/partial last line/),
    });
    expect(before.records).toBe(7);

    const restarted = sink();
    await restarted.open();
    const mid = await verify();
    expect(mid).toMatchObject({ ok: true, records: 7, recoveries: [{ file, partialBytes: 40 }] });
    await restarted.write(record(8));
    await restarted.close();
    const after = await verify();
    expect(after).toMatchObject({ ok: true, records: 8, lastSeq: 8 });
    expect(await files()).toHaveLength(2);
  });

  it('covers an unsigned tail after a crash between checkpoints', async () => {
    const crashed = createFileAuditSink({ dir, signingKey: key.privateKey, checkpointEvery: 100 });
    for (let i = 1; i <= 4; i++) await crashed.write(record(i));
    expect((await verify()).firstBroken?.reason).toMatch(
      /^4 record\(s\) after the last signed checkpoint, from a writer without a checkpoint timer/,
    );
    expect(await verify({ allowUnsignedTail: true })).toMatchObject({ ok: true, unsignedTail: 4 });
    const restarted = sink();
    await restarted.open();
    expect(await verify()).toMatchObject({ ok: true, records: 4, checkpoints: 2 });
  });

  it('scrubs base64 and secrets from records by default and marks them', async () => {
    const s = sink();
    await s.write(record(1, { parameters: { blob: 'A'.repeat(300) } }));
    await s.write(record(2, { metadata: { note: 'key sk-proj-abcdefghijklmnopqrstuvwxyz012345' } }));
    await s.write(record(3));
    await s.close();
    await expect(s.write(record(4))).rejects.toThrow(/closed/);
    const content = await readFile(join(dir, (await files())[0]!), 'utf8');
    expect(content).not.toContain('AAAAAAAAAA');
    expect(content).not.toContain('sk-proj');
    const written = content
      .split('\n')
      .filter((line) => line.includes('"requestId"'))
      .map((line) => JSON.parse(line) as AuditRecord);
    expect(written.map((r) => r.labels.includes('audit:scrubbed'))).toEqual([true, true, false]);
    expect(written[0]!.parameters).toEqual({ blob: '[base64 omitted: 300 chars]' });
    expect(written[1]!.metadata).toEqual({ note: 'key [SECRET]' });
    expect((await verify()).ok).toBe(true);
  });

  it('refuses unsafe records in throw mode, naming the field', async () => {
    const s = sink({ guard: 'throw' });
    await expect(s.write(record(1, { parameters: { blob: 'A'.repeat(300) } }))).rejects.toThrow(
      /parameters.blob.*base64/,
    );
    await expect(
      s.write(record(2, { metadata: { note: 'key sk-proj-abcdefghijklmnopqrstuvwxyz012345' } })),
    ).rejects.toThrow(/secret/);
    await s.write(record(3));
    await s.close();
    expect(await verify()).toMatchObject({ ok: true, records: 1 });
  });

  it('fails closed when the directory cannot be used', async () => {
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const s = createFileAuditSink({ dir: join(dir, 'not-a-dir'), signingKey: key.privateKey });
    await expect(s.write(record(1))).rejects.toBeDefined();
    await expect(s.write(record(2))).rejects.toBeDefined();
  });

  it('rejects a non-Ed25519 key and bad batching', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => createFileAuditSink({ dir, signingKey: rsa })).toThrow(/Ed25519/);
    expect(() =>
      createFileAuditSink({ dir, signingKey: key.privateKey, durability: { batchMs: -1, maxBatch: 0 } }),
    ).toThrow(/maxBatch/);
  });
});

describe('mutation trial: every tampering is detected', () => {
  let names: string[] = [];
  beforeEach(async () => {
    const s = createFileAuditSink({
      dir,
      signingKey: key.privateKey,
      checkpointEvery: 4,
      rotate: { maxBytes: 6000 },
    });
    for (let i = 1; i <= 20; i++) await s.write(record(i));
    await s.close();
    names = await files();
    expect(names.length).toBeGreaterThan(1);
    expect((await verify()).ok).toBe(true);
  });

  const recordLineIndexes = (content: string[]) =>
    content
      .map((line, index) => (line.includes('"type":"checkpoint"') ? -1 : index))
      .filter((index) => index >= 0);

  it('edit of a field', async () => {
    const content = await lines(names[0]!);
    const index = recordLineIndexes(content)[1]!;
    content[index] = content[index]!.replace('"tenantId":"globex"', '"tenantId":"innocent"').replace(
      '"tenantId":"acme"',
      '"tenantId":"innocent"',
    );
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken).toMatchObject({
      file: names[0],
      line: index + 1,
      reason: expect.stringMatching(/hash does not match/),
    });
  });

  it('edit with the hash recomputed', async () => {
    const content = await lines(names[0]!);
    const index = recordLineIndexes(content)[1]!;
    const entry = JSON.parse(content[index]!) as Record<string, unknown>;
    entry.outcome = 'failed';
    entry.hash = hashAuditEntry(entry);
    content[index] = canonicalJson(entry);
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/prevHash does not match|checkpoint does not match/);
  });

  it('edit with the whole chain recomputed (no key)', async () => {
    let prev = '0'.repeat(64);
    for (const name of names) {
      const content = await lines(name);
      const rewritten = content.map((line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.type === 'checkpoint') return line;
        if (entry.seq === 2) entry.outcome = 'failed';
        entry.prevHash = prev;
        entry.hash = hashAuditEntry(entry);
        prev = entry.hash as string;
        return canonicalJson(entry);
      });
      await writeLines(name, rewritten);
    }
    expect((await verify()).firstBroken?.reason).toMatch(/signed checkpoint does not match the chain/);
  });

  it('delete of a record', async () => {
    const content = await lines(names[0]!);
    content.splice(recordLineIndexes(content)[2]!, 1);
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/seq 4 where 3 was expected/);
  });

  it('insert of a record', async () => {
    const content = await lines(names[0]!);
    const index = recordLineIndexes(content)[1]!;
    content.splice(index, 0, content[index]!);
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/seq 2 where 3 was expected/);
  });

  it('reorder of two records', async () => {
    const content = await lines(names[0]!);
    const [a, b] = recordLineIndexes(content).slice(0, 2) as [number, number];
    [content[a], content[b]] = [content[b]!, content[a]!];
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/seq 2 where 1 was expected/);
  });

  it('delete of a checkpoint', async () => {
    const content = await lines(names[0]!);
    const index = content.findIndex((line) => line.includes('"type":"checkpoint"'));
    content.splice(index, 1);
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/checkpoint 2 follows checkpoint 0/);
  });

  it('truncation mid-line', async () => {
    const last = names[names.length - 1]!;
    const size = (await readFile(join(dir, last))).length;
    await truncate(join(dir, last), size - 30);
    expect((await verify()).firstBroken?.reason).toMatch(/partial last line/);
  });

  it('truncation at a line boundary (final checkpoint removed)', async () => {
    const last = names[names.length - 1]!;
    const content = await lines(last);
    await writeLines(last, content.slice(0, -1));
    expect((await verify()).firstBroken?.reason).toMatch(/after the last signed checkpoint/);
  });

  it('truncation of whole trailing records is caught against an expected head', async () => {
    const last = names[names.length - 1]!;
    const content = await lines(last);
    // Drop everything after the previous checkpoint: the log looks complete but is shorter.
    const cut = content
      .map((line) => line.includes('"type":"checkpoint"'))
      .lastIndexOf(true, content.length - 2);
    await writeLines(last, content.slice(0, cut + 1));
    expect((await verify()).ok).toBe(true);
    expect((await verify({ expectSeq: 20 })).firstBroken?.reason).toMatch(/was expected \(truncated\)/);
  });

  it('deletion of a whole file', async () => {
    await rm(join(dir, names[0]!));
    expect((await verify()).ok).toBe(false);
  });

  it('whole-log rewrite signed with another key', async () => {
    const forger = generateKeyPairSync('ed25519').privateKey;
    for (const name of names) {
      const content = await lines(name);
      const rewritten = content.map((line) => {
        const entry = JSON.parse(line) as AuditCheckpoint;
        if (entry.type !== 'checkpoint') return line;
        const { signature: _s, ...body } = entry;
        return canonicalJson(signCheckpoint({ ...body, keyId: key.keyId }, forger));
      });
      await writeLines(name, rewritten);
    }
    expect((await verify()).firstBroken?.reason).toMatch(/checkpoint signature is invalid/);
  });

  it('whole-log rewrite without checkpoints', async () => {
    for (const name of names) {
      const content = await lines(name);
      await writeLines(
        name,
        content.filter((line) => !line.includes('"type":"checkpoint"')),
      );
    }
    expect((await verify()).ok).toBe(false);
  });

  it('whitespace-only edit', async () => {
    const content = await lines(names[0]!);
    content[0] = content[0]!.replace('{', '{ ');
    await writeLines(names[0]!, content);
    expect((await verify()).firstBroken?.reason).toMatch(/canonical/);
  });
});

describe('audit record safety', () => {
  it('promptForAudit keeps a hash, masks PII, and never keeps secrets or base64', () => {
    const prompt = 'portrait of bob@example.com with key AKIAIOSFODNN7EXAMPLE';
    const hashOnly = promptForAudit(prompt, 'hash');
    expect(hashOnly).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      length: prompt.length,
      retention: 'hash',
    });
    expect(promptForAudit(prompt).text).toBe('portrait of [EMAIL] with key [SECRET]');
    expect(promptForAudit(prompt, 'full').text).toBe('portrait of bob@example.com with key [SECRET]');
    const withImage = promptForAudit(`look ${'QUJD'.repeat(100)}`, 'full');
    expect(withImage.text).toBe('look [base64 omitted: 400 chars]');
    expect(() => assertAuditSafe(record(1, { prompt: withImage }))).not.toThrow();
  });

  it('scrubAuditRecord masks what assertAuditSafe refuses and lists the fields', () => {
    const dirty = {
      a: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==',
      b: ['ok', new Uint8Array(4)],
      c: { d: `x ${'Zm9v'.repeat(40)}` },
    };
    const { record: clean, scrubbed } = scrubAuditRecord(dirty);
    expect(clean).toEqual({
      a: '[data URL omitted]',
      b: ['ok', '[binary omitted]'],
      c: { d: 'x [base64 omitted: 160 chars]' },
    });
    expect(scrubbed).toEqual(['a', 'b[1]', 'c.d']);
    expect(() => assertAuditSafe(clean)).not.toThrow();
    expect(dirty.a).toContain('iVBOR');
  });

  it('assertAuditSafe names the field, never the value', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop';
    expect(() => assertAuditSafe(record(1, { upstreamRequestIds: [jwt] }))).toThrow(
      /upstreamRequestIds\[0\].*jwt/,
    );
    try {
      assertAuditSafe(record(1, { metadata: { x: 'data:image/png;base64,iVBORw0KGgo=' } }));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/metadata.x.*data URL/);
      expect((error as Error).message).not.toContain('iVBOR');
    }
    expect(() => assertAuditSafe(record(1), { secrets: ['super-secret-value'] })).not.toThrow();
    expect(() =>
      assertAuditSafe(record(1, { metadata: { k: 'xx super-secret-value' } }), {
        secrets: ['super-secret-value'],
      }),
    ).toThrow(/configured secret/);
    expect(() => assertAuditSafe({ bytes: new Uint8Array(3) })).toThrow(/binary/);
  });

  it('assertAuditSafe allows base64-like runs up to the limit and refuses one character more', () => {
    const run = (length: number) => 'Ab0+/_-'.repeat(20).slice(0, length);
    expect(() => assertAuditSafe(record(1, { metadata: { x: `${run(100)} ${run(100)}` } }))).not.toThrow();
    expect(() => assertAuditSafe(record(1, { metadata: { x: `é${run(101)}é` } }))).toThrow(
      /metadata.x.*longer than 100/,
    );
    // Two fields side by side are two runs, not one.
    expect(() => assertAuditSafe(record(1, { metadata: { x: run(60), y: run(60) } }))).not.toThrow();
    expect(() => assertAuditSafe({ a: run(21) }, { maxBase64Run: 20 })).toThrow(/longer than 20/);
    expect(stripAuditBase64(`x ${run(100)}`)).toBe(`x ${run(100)}`);
    expect(stripAuditBase64(`x ${run(101)}==`)).toBe('x [base64 omitted: 103 chars]');
  });
});

describe('chainAuditLine', () => {
  it('gives the bytes of canonicalJson with hashAuditEntry, whatever keys sort around "hash"', () => {
    const shapes: Array<Record<string, unknown>> = [
      { ...record(1) },
      { a: 1, z: [1, { y: 'x', b: null }] },
      { hasa: 'before', hat: 'after', h: true },
      {},
    ];
    for (const shape of shapes) {
      const entry = { ...shape, seq: 7, prevHash: 'f'.repeat(64) };
      const hash = hashAuditEntry(entry);
      expect(chainAuditLine(shape, 7, 'f'.repeat(64))).toEqual({
        line: canonicalJson({ ...entry, hash }),
        hash,
      });
    }
  });
});

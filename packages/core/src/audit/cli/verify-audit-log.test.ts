import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAuditSigningKey } from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { createFileAuditSink } from '../file-audit-sink.ts';
import {
  DEFAULT_TAIL_GRACE_MS,
  describeSignedExtent,
  formatAuditVerification,
  readPublicKeyFiles,
  verifyAuditLog,
} from './verify-audit-log.ts';

const key = generateAuditSigningKey();
const other = generateAuditSigningKey();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixelgate-verify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (i: number) =>
  auditRecordSchema.parse({
    v: 1,
    requestId: `r${i}`,
    timestamp: '2026-11-21T00:00:00.000Z',
    tenantId: 't',
    source: 'library',
    outcome: 'success',
  });

describe('verifyAuditLog helpers', () => {
  it('reads PEM files (several keys in one file) and reports a verified log', async () => {
    const sink = createFileAuditSink({ dir: join(dir, 'log'), signingKey: key.privateKey });
    for (let i = 0; i < 3; i++) await sink.write(record(i));
    await sink.close();
    await writeFile(join(dir, 'keys.pem'), `${other.publicKeyPem}${key.publicKeyPem}`);
    const keys = await readPublicKeyFiles([join(dir, 'keys.pem')]);
    expect(keys).toHaveLength(2);
    const result = await verifyAuditLog(join(dir, 'log'), { publicKeys: keys });
    expect(formatAuditVerification(result)).toBe(
      `OK: 3 records, 2 signed checkpoints, 1 files; chain intact up to seq 3.\nSigned by: ${key.keyId}.`,
    );
  });

  it('accepts keys by explicit id and refuses checkpoints of other keys', async () => {
    const sink = createFileAuditSink({
      dir: join(dir, 'log'),
      signingKey: key.privateKey,
      keyId: 'audit-2026',
    });
    await sink.write(record(1));
    await sink.close();
    expect(
      (await verifyAuditLog(join(dir, 'log'), { publicKeys: { 'audit-2026': key.publicKeyPem } })).ok,
    ).toBe(true);
    const wrong = await verifyAuditLog(join(dir, 'log'), {
      publicKeys: { 'audit-2026': other.publicKeyPem },
    });
    expect(wrong.firstBroken?.reason).toBe('checkpoint signature is invalid');
    const unknown = await verifyAuditLog(join(dir, 'log'), { publicKeys: [other.publicKeyPem] });
    expect(unknown.firstBroken?.reason).toBe('checkpoint signed by unknown key "audit-2026"');
    expect(formatAuditVerification(unknown)).toMatch(
      /^BROKEN: .*\nFirst broken link: audit-\d{12}-\d{8}T\d{9}Z\.jsonl:1 \(seq 0\): checkpoint signed by unknown key/,
    );
  });

  it('fails an empty directory: zero records where a log was expected is not an intact log', async () => {
    expect(await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem] })).toMatchObject({
      ok: false,
      records: 0,
      files: 0,
      firstBroken: { reason: expect.stringMatching(/no audit log files/) },
    });
    // An evidence bundle is not a log either: its records file is not an audit-*.jsonl file.
    await writeFile(join(dir, 'records.jsonl'), '');
    await writeFile(join(dir, 'manifest.json'), '{}');
    expect((await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem] })).ok).toBe(false);
  });

  it('fails a log whose files hold no record', async () => {
    const sink = createFileAuditSink({ dir: join(dir, 'log'), signingKey: key.privateKey });
    await sink.write(record(1));
    await sink.close();
    const [file] = await readdir(join(dir, 'log'));
    await writeFile(join(dir, 'log', file!), '');
    expect(await verifyAuditLog(join(dir, 'log'), { publicKeys: [key.publicKeyPem] })).toMatchObject({
      ok: false,
      firstBroken: { reason: 'the log holds no records' },
    });
  });
});

describe('a running log (records after the last checkpoint)', () => {
  const live = (i: number, at: number) => ({ ...record(i), timestamp: new Date(at).toISOString() });

  async function runningLog(now: number) {
    // A sink that is still running: one checkpoint (by count), then two records its timer has not signed yet.
    const sink = createFileAuditSink({
      dir,
      signingKey: key.privateKey,
      checkpointEvery: { records: 3, ms: 60_000 },
      clock: { now: () => now },
    });
    for (let i = 1; i <= 5; i++) await sink.write(live(i, now));
    return sink;
  }

  it('verifies without --allow-unsigned-tail while the checkpoint timer still covers the tail, and says exactly what is signed', async () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const sink = await runningLog(now);
    try {
      const result = await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem], now: () => now + 1000 });
      expect(result).toMatchObject({
        ok: true,
        records: 5,
        unsignedTail: 2,
        signedThrough: { seq: 3, at: new Date(now).toISOString() },
        tail: { records: 2, firstSeq: 4, live: true },
      });
      expect(describeSignedExtent(result)).toBe(
        `verified through record 3, signed at ${new Date(now).toISOString()}; 2 later record(s) chained but not yet checkpointed`,
      );
      expect(formatAuditVerification(result)).toContain('2 later record(s) chained but not yet checkpointed');
    } finally {
      await sink.close();
    }
  });

  it('fails a tail the timer should have signed long ago (a stopped writer or appended records)', async () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const sink = await runningLog(now);
    try {
      const later = now + 60_000 + DEFAULT_TAIL_GRACE_MS + 1;
      const result = await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem], now: () => later });
      expect(result).toMatchObject({
        ok: false,
        tail: { records: 2, live: false },
        firstBroken: {
          seq: 4,
          reason: expect.stringMatching(
            /2 record\(s\) after the last signed checkpoint.*--allow-unsigned-tail/,
          ),
        },
      });
      const allowed = await verifyAuditLog(dir, {
        publicKeys: [key.publicKeyPem],
        now: () => later,
        allowUnsignedTail: true,
      });
      expect(allowed).toMatchObject({ ok: true, unsignedTail: 2 });
      expect(describeSignedExtent(allowed)).toMatch(/2 later record\(s\) chained but never checkpointed$/);
    } finally {
      await sink.close();
    }
  });

  it('says clearly when the directory cannot be read', async () => {
    await expect(
      verifyAuditLog(join(dir, 'missing'), { publicKeys: [key.publicKeyPem] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'dir',
      message: expect.stringContaining('ENOENT'),
    });
  });

  it('rejects a key file without a public key', async () => {
    await writeFile(join(dir, 'private.pem'), key.privateKeyPem);
    await expect(readPublicKeyFiles([join(dir, 'private.pem')])).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'public-key',
    });
  });
});

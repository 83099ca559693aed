import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAuditSigningKey } from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { createFileAuditSink } from '../file-audit-sink.ts';
import { formatAuditVerification, readPublicKeyFiles, verifyAuditLog } from './verify-audit-log.ts';

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
      `OK: 3 records, 1 signed checkpoints, 1 files; chain intact up to seq 3.\nSigned by: ${key.keyId}.`,
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
      /^BROKEN: .*\nFirst broken link: audit-\d{12}-\d{8}T\d{9}Z\.jsonl:2 \(seq 1\): checkpoint signed by unknown key/,
    );
  });

  it('verifies an empty directory as an empty, intact log', async () => {
    expect(await verifyAuditLog(dir, { publicKeys: [key.publicKeyPem] })).toMatchObject({
      ok: true,
      records: 0,
      files: 0,
    });
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

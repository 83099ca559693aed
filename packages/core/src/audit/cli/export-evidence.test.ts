import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAuditSigningKey } from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { promptForAudit } from '../audit-safety.ts';
import { createFileAuditSink } from '../file-audit-sink.ts';
import { escapeHtml } from './evidence-html.ts';
import { exportEvidence } from './export-evidence.ts';

const key = generateAuditSigningKey();
let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pixelgate-evidence-'));
  dir = join(root, 'log');
  const sink = createFileAuditSink({ dir, signingKey: key.privateKey, checkpointEvery: 3 });
  const plan = [
    {
      day: 20,
      tenantId: 'acme',
      model: 'openai/dall-e-3',
      outcome: 'success',
      labels: [],
      cost: 0.04,
      images: 1,
    },
    {
      day: 21,
      tenantId: 'acme',
      model: 'openai/dall-e-3',
      outcome: 'success',
      labels: ['pii:email'],
      cost: 0.08,
      images: 2,
    },
    {
      day: 21,
      tenantId: '<script>alert(1)</script>',
      model: 'stability/sd3.5-large',
      outcome: 'blocked',
      labels: ['blocklist:weapons'],
      images: 0,
    },
    {
      day: 21,
      tenantId: 'globex',
      model: 'local/draw',
      outcome: 'failed',
      labels: [],
      images: 0,
      error: 'BACKEND_ERROR',
    },
    {
      day: 22,
      tenantId: 'globex',
      model: 'local/draw',
      outcome: 'success',
      labels: ['pii:email'],
      cost: 0,
      images: 1,
    },
    {
      day: 23,
      tenantId: 'acme',
      model: 'openai/dall-e-3',
      outcome: 'success',
      labels: [],
      cost: 0.04,
      images: 1,
    },
  ];
  for (const [index, item] of plan.entries()) {
    await sink.write(
      auditRecordSchema.parse({
        v: 1,
        requestId: `req_${index}`,
        timestamp: new Date(Date.UTC(2026, 10, item.day, 10)).toISOString(),
        tenantId: item.tenantId,
        source: 'http:openai',
        model: item.model,
        outcome: item.outcome,
        labels: item.labels,
        prompt: promptForAudit('a lighthouse'),
        images: Array.from({ length: item.images }, () => ({
          sha256: 'b'.repeat(64),
          sizeBytes: 10,
          mediaType: 'image/png',
        })),
        ...(item.cost === undefined ? {} : { cost: { actualUsd: item.cost, basis: 'per_image' } }),
        ...(item.error ? { error: { code: item.error, message: 'upstream failed' } } : {}),
      }),
    );
  }
  await sink.close();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('exportEvidence', () => {
  it('writes the bundle for a period with a summary by tenant, model, outcome and label', async () => {
    const out = join(root, 'bundle');
    const bundle = await exportEvidence({
      dir,
      from: '2026-11-21',
      to: '2026-11-23',
      out,
      publicKeys: [key.publicKeyPem],
      now: () => Date.UTC(2026, 11, 1),
    });
    expect(Object.keys(bundle.files).sort()).toEqual(
      [
        `public-keys/${key.keyId.replace(':', '_')}.pem`,
        'records.jsonl',
        'report.html',
        'summary.json',
        'verification.json',
      ].sort(),
    );
    const records = (await readFile(join(out, 'records.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => r.requestId)).toEqual(['req_1', 'req_2', 'req_3', 'req_4']);
    expect(records.every((r) => typeof r.hash === 'string' && typeof r.seq === 'number')).toBe(true);

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.verification).toMatchObject({ ok: true, records: 6, keyIds: [key.keyId] });
    expect(summary.totals).toEqual({ records: 4, images: 3, costUsd: 0.08, unpriced: 2 });
    expect(summary.byOutcome).toEqual({ blocked: 1, failed: 1, success: 2 });
    expect(summary.byLabel).toEqual({ 'blocklist:weapons': 1, 'pii:email': 2 });
    expect(summary.byTenant.acme).toEqual({ records: 1, images: 2, costUsd: 0.08, outcomes: { success: 1 } });
    expect(summary.byModel['local/draw']).toMatchObject({ records: 2, outcomes: { failed: 1, success: 1 } });
    expect(summary.byErrorCode).toEqual({ BACKEND_ERROR: 1 });
    expect(summary.byDay).toEqual({ '2026-11-21': 3, '2026-11-22': 1 });
    expect(summary.notable).toEqual([
      {
        requestId: 'req_2',
        timestamp: '2026-11-21T10:00:00.000Z',
        tenantId: '<script>alert(1)</script>',
        model: 'stability/sd3.5-large',
        outcome: 'blocked',
        labels: ['blocklist:weapons'],
      },
      {
        requestId: 'req_3',
        timestamp: '2026-11-21T10:00:00.000Z',
        tenantId: 'globex',
        model: 'local/draw',
        outcome: 'failed',
        labels: [],
        errorCode: 'BACKEND_ERROR',
      },
    ]);

    expect(await readFile(join(out, `public-keys/${key.keyId.replace(':', '_')}.pem`), 'utf8')).toBe(
      key.publicKeyPem,
    );
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    for (const [name, hash] of Object.entries(manifest.files)) {
      expect(
        createHash('sha256')
          .update(await readFile(join(out, name)))
          .digest('hex'),
      ).toBe(hash);
    }
  });

  it('renders a self-contained, escaped HTML page with charts', async () => {
    const out = join(root, 'bundle');
    await exportEvidence({ dir, from: '2026-11-20', to: '2026-11-24', out, publicKeys: [key.publicKeyPem] });
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).toContain('Verified: 6 records');
  });

  it('states a broken log in the bundle', async () => {
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
    const content = await readFile(join(dir, file!), 'utf8');
    await writeFile(join(dir, file!), content.replace('"tenantId":"globex"', '"tenantId":"gl0bex"'));
    const out = join(root, 'bundle');
    const bundle = await exportEvidence({
      dir,
      from: '2026-11-20',
      to: '2026-11-24',
      out,
      publicKeys: [key.publicKeyPem],
    });
    expect(bundle.verification.ok).toBe(false);
    expect(bundle.summary.verification.firstBroken?.reason).toMatch(/hash does not match/);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Verification FAILED');
  });

  it('rejects a bad period and a non-empty output directory', async () => {
    const out = join(root, 'bundle');
    await expect(
      exportEvidence({ dir, from: 'yesterday', to: '2026-11-24', out, publicKeys: [key.publicKeyPem] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'from',
    });
    await expect(
      exportEvidence({ dir, from: '2026-11-24', to: '2026-11-20', out, publicKeys: [key.publicKeyPem] }),
    ).rejects.toMatchObject({ param: 'to' });
    await expect(
      exportEvidence({ dir, from: '2026-11-20', to: '2026-11-24', out: dir, publicKeys: [key.publicKeyPem] }),
    ).rejects.toMatchObject({ param: 'out' });
  });

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

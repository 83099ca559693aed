import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAuditSigningKey } from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { promptForAudit } from '../audit-safety.ts';
import { canonicalJson } from '../canonical-json.ts';
import { createFileAuditSink } from '../file-audit-sink.ts';
import { escapeHtml } from './evidence-html.ts';
import { exportEvidence } from './export-evidence.ts';
import { verifyEvidenceBundle } from './verify-evidence-bundle.ts';

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
        'chain.jsonl',
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
    // The blocked and the failed request carry no price and produced nothing: they are not "unpriced".
    expect(summary.totals).toEqual({ records: 4, images: 3, costUsd: 0.08, unpriced: 0 });
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
        errorMessage: 'upstream failed',
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

  it('renders a one-day chart with its value, and the message and field of refused requests', async () => {
    const out = join(root, 'bundle');
    await exportEvidence({ dir, from: '2026-11-21', to: '2026-11-22', out, publicKeys: [key.publicKeyPem] });
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const chart = /<figcaption>Requests per day<\/figcaption>(<svg[\s\S]*?<\/svg>)/.exec(html)![1]!;
    const bars = [...chart.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)];
    expect(bars).toHaveLength(1);
    expect(Number(bars[0]![2])).toBeLessThanOrEqual(64);
    expect(chart).toMatch(/>3<\/text>/);
    expect(chart).toContain('>2026-11-21</text>');
    expect(html).toContain('<th>Field</th><th>Message</th>');
    expect(html).toContain('<td>BACKEND_ERROR</td><td></td><td>upstream failed</td>');
    expect(html).not.toContain('without a price');
  });

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('verifyEvidenceBundle: the bundle proves itself offline', () => {
  const out = () => join(root, 'bundle');
  const exportSigned = () =>
    exportEvidence({
      dir,
      from: '2026-11-21',
      to: '2026-11-23',
      out: out(),
      publicKeys: [key.publicKeyPem],
      signingKey: key.privateKeyPem,
    });
  const reseal = async (name: string, content: string) => {
    // A forger who edits a file and fixes its hash in the manifest (but cannot sign).
    await writeFile(join(out(), name), content);
    const manifest = JSON.parse(await readFile(join(out(), 'manifest.json'), 'utf8'));
    manifest.files[name] = createHash('sha256').update(content).digest('hex');
    delete manifest.signature;
    await writeFile(join(out(), 'manifest.json'), JSON.stringify(manifest));
  };

  it('verifies a signed bundle without the log: records proven by the checkpoints, every file by the manifest', async () => {
    await exportSigned();
    await rm(dir, { recursive: true, force: true });
    const result = await verifyEvidenceBundle(out(), { publicKeys: [key.publicKeyPem] });
    expect(result).toMatchObject({
      ok: true,
      records: 4,
      chainRecords: 5,
      manifestSigned: true,
      keysFrom: 'given',
      keyIds: [key.keyId],
      signedThrough: { seq: 6 },
    });
    expect(result.files).toBe(6);
    expect(await verifyEvidenceBundle(out())).toMatchObject({ ok: true, keysFrom: 'bundle' });
  });

  it('finds a changed file, an added file, a resealed record and a key it was not made with', async () => {
    await exportSigned();
    const records = await readFile(join(out(), 'records.jsonl'), 'utf8');
    await writeFile(
      join(out(), 'records.jsonl'),
      records.replace('"tenantId":"globex"', '"tenantId":"gl0bex"'),
    );
    expect((await verifyEvidenceBundle(out())).problem).toMatch(/records.jsonl does not match its SHA-256/);
    await writeFile(join(out(), 'records.jsonl'), records);
    await writeFile(join(out(), 'extra.txt'), 'x');
    expect((await verifyEvidenceBundle(out())).problem).toMatch(
      /extra.txt is in the bundle but not in the manifest/,
    );
    await rm(join(out(), 'extra.txt'));

    // Without the signature, a resealed manifest still cannot make a changed record verify.
    await reseal('records.jsonl', records.replace('"tenantId":"globex"', '"tenantId":"gl0bex"'));
    const resealed = await verifyEvidenceBundle(out());
    expect(resealed).toMatchObject({ ok: false, manifestSigned: false });
    expect(resealed.problem).toMatch(/records.jsonl line \d+ is not the chain's record/);

    const chain = await readFile(join(out(), 'chain.jsonl'), 'utf8');
    await reseal('chain.jsonl', chain.replace('"tenantId":"globex"', '"tenantId":"gl0bex"'));
    expect((await verifyEvidenceBundle(out())).problem).toMatch(/chain.jsonl line \d+: hash does not match/);

    const other = generateAuditSigningKey();
    expect((await verifyEvidenceBundle(out(), { publicKeys: [other.publicKeyPem] })).ok).toBe(false);
  });

  it('refuses a summary that does not match the records, even with a resealed manifest', async () => {
    await exportSigned();
    const summary = JSON.parse(await readFile(join(out(), 'summary.json'), 'utf8'));
    summary.totals.records = 3;
    await reseal('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    expect((await verifyEvidenceBundle(out())).problem).toBe(
      'summary.json does not match the records of the bundle',
    );
  });

  it('refuses a manifest changed after signing', async () => {
    await exportSigned();
    const manifest = JSON.parse(await readFile(join(out(), 'manifest.json'), 'utf8'));
    manifest.period.to = '2026-11-30T00:00:00.000Z';
    await writeFile(join(out(), 'manifest.json'), JSON.stringify(manifest));
    expect((await verifyEvidenceBundle(out())).problem).toMatch(/manifest signature is invalid/);
    expect(canonicalJson(manifest.files)).toContain('chain.jsonl');
  });
});

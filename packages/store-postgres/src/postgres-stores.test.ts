import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBudgetStore } from '@pixelgate/core';
import { generateAuditSigningKey } from '@pixelgate/core/audit';
import { type BudgetReservation, budgetRuleSchema } from '@pixelgate/core/spec';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import { conformanceAuditRecord } from '@pixelgate/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { exportPostgresEvidence } from './export-postgres-evidence.ts';
import { loadMigrations, migrate } from './migrate.ts';
import { quoteSchema } from './pg-connection.ts';
import { createPostgresAuditSink } from './postgres-audit-sink.ts';
import { reconcileSpend } from './reconcile-spend.ts';
import { dropSchema, postgresTestUrl, testSchema } from './test-support/postgres-test-env.ts';
import { verifyPostgresAuditLog } from './verify-postgres-audit-log.ts';

const url = postgresTestUrl ?? '';
const key = generateAuditSigningKey();

describe('PostgreSQL names and migrations as files', () => {
  it('accepts only plain lower-case schema names', () => {
    expect(quoteSchema('pixelgate_prod')).toBe('"pixelgate_prod"');
    for (const bad of ['Pixelgate', 'a"b', 'a;drop', '1abc', ''])
      expect(() => quoteSchema(bad)).toThrow(/lower-case identifier/);
  });

  it('ships versioned migrations with the schema filled in', async () => {
    const migrations = await loadMigrations('app');
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'audit_log'],
      [2, 'spend_ledger'],
    ]);
    expect(migrations[0]!.sql).toContain('CREATE TABLE "app".audit_records');
    expect(migrations[0]!.sql).not.toContain('{{schema}}');
  });
});

describe.skipIf(!postgresTestUrl)('PostgreSQL stores on a real PostgreSQL', () => {
  const schemas: string[] = [];
  const schema = () => {
    const name = testSchema();
    schemas.push(name);
    return name;
  };
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  afterEach(async () => {
    for (const name of schemas.splice(0)) await dropSchema(url, name);
  });

  it('migrates once when many processes start at the same moment', async () => {
    const name = schema();
    const reports = await Promise.all(Array.from({ length: 6 }, () => migrate({ url, schema: name })));
    expect(reports.flatMap((report) => report.applied).sort()).toEqual([1, 2]);
    expect(reports.every((report) => report.version === 2)).toBe(true);
    expect(await query(`SELECT version FROM "${name}".schema_migrations ORDER BY version`)).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    expect((await migrate({ url, schema: name })).applied).toEqual([]);
  });

  it('refuses a database whose applied migration differs from the shipped file', async () => {
    const name = schema();
    await migrate({ url, schema: name });
    await query(`UPDATE "${name}".schema_migrations SET checksum = 'other' WHERE version = 1`);
    await expect(migrate({ url, schema: name })).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringMatching(/Migration 1 \(audit_log\) was applied .* from a different file/),
    });
  });

  it('writes the settled cost of each record to the ledger and reconciles it with the budget store', async () => {
    const name = schema();
    await migrate({ url, schema: name });
    const sink = createPostgresAuditSink({ url, schema: name, signingKey: key.privateKey });
    const budget = createMemoryBudgetStore();
    const rules = [
      { scope: 'tenant', period: 'month', limitUsd: 100 },
      { scope: 'user', period: 'day', limitUsd: 10 },
    ].map((rule) => budgetRuleSchema.parse(rule));
    const now = Date.now();
    for (const [index, user] of ['ann', 'bob', 'ann'].entries()) {
      const tenant = { tenantId: 'acme', userId: user };
      const held = (await budget.reserve(
        budgetBuckets(rules, tenant, now),
        0.5,
        `rsv_${index}`,
      )) as BudgetReservation;
      await budget.settle(held, 0.04 * (index + 1));
      await sink.write(
        conformanceAuditRecord(index, {
          tenantId: 'acme',
          userId: user,
          timestamp: new Date(now).toISOString(),
          cost: { actualUsd: 0.04 * (index + 1), basis: 'image_price' },
        }),
      );
    }
    await sink.write(
      conformanceAuditRecord(9, {
        tenantId: 'acme',
        userId: 'ann',
        outcome: 'failed',
        cost: { basis: 'none' },
      }),
    );
    await sink.close();
    expect(await query(`SELECT user_id, cost_micros FROM "${name}".spend_ledger ORDER BY seq`)).toEqual([
      { user_id: 'ann', cost_micros: '40000' },
      { user_id: 'bob', cost_micros: '80000' },
      { user_id: 'ann', cost_micros: '120000' },
    ]);
    const spentUsd = async (bucket: string) => budget.snapshot()[bucket]?.spentUsd ?? 0;
    const clean = await reconcileSpend({ url, schema: name, rules, spentUsd, now });
    expect(clean).toEqual({ ok: true, buckets: 3, differences: [] });

    // A settle whose record never reached the log shows up as a difference on its buckets.
    const held = (await budget.reserve(
      budgetBuckets(rules, { tenantId: 'acme', userId: 'bob' }, now),
      1,
      'rsv_x',
    )) as BudgetReservation;
    await budget.settle(held, 0.5);
    const drift = await reconcileSpend({ url, schema: name, rules, spentUsd, now });
    expect(drift.ok).toBe(false);
    expect(
      drift.differences.map((d) => [d.label.split(',')[0], d.ledgerUsd, d.storeUsd, d.differenceUsd]),
    ).toEqual([
      ['tenant acme', 0.24, 0.74, 0.5],
      ['user bob of tenant acme', 0.08, 0.58, 0.5],
    ]);
  });

  it('keeps the chain when a transaction fails, and recovers by itself', async () => {
    const name = schema();
    await migrate({ url, schema: name });
    const sink = createPostgresAuditSink({ url, schema: name, signingKey: key.privateKey });
    await sink.write(conformanceAuditRecord(1));
    await query(`ALTER TABLE "${name}".audit_records RENAME TO audit_records_away`);
    const failed = await sink.write(conformanceAuditRecord(2)).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'STORAGE_ERROR', status: 503 });
    expect((failed as Error).message).toMatch(/^The audit log \(PostgreSQL\) could not be written/);
    await query(`ALTER TABLE "${name}".audit_records_away RENAME TO audit_records`);
    await sink.write(conformanceAuditRecord(3));
    await sink.close();
    const verdict = await verifyPostgresAuditLog({ url, schema: name, publicKeys: [key.publicKeyPem] });
    expect(verdict).toMatchObject({ ok: true, records: 2, lastSeq: 2 });
  });

  it('reports a live log with an unsigned tail only when allowed, and refuses unknown keys', async () => {
    const name = schema();
    await migrate({ url, schema: name });
    const sink = createPostgresAuditSink({
      url,
      schema: name,
      signingKey: key.privateKey,
      checkpointEvery: 3,
    });
    for (let index = 0; index < 5; index++) await sink.write(conformanceAuditRecord(index));
    const strict = await verifyPostgresAuditLog({ url, schema: name, publicKeys: [key.publicKeyPem] });
    expect(strict.ok).toBe(false);
    expect(strict.firstBroken?.reason).toMatch(/2 record\(s\) after the last signed checkpoint/);
    const live = await verifyPostgresAuditLog({
      url,
      schema: name,
      publicKeys: [key.publicKeyPem],
      allowUnsignedTail: true,
    });
    expect(live).toMatchObject({ ok: true, records: 5, checkpoints: 1, unsignedTail: 2 });
    const stranger = generateAuditSigningKey();
    const wrongKey = await verifyPostgresAuditLog({
      url,
      schema: name,
      publicKeys: [stranger.publicKeyPem],
      allowUnsignedTail: true,
    });
    expect(wrongKey.firstBroken?.reason).toMatch(/unknown key/);
    await sink.close();
    // Cutting the tail (records and the checkpoints over them) is noticed through the chain head.
    await query(`DELETE FROM "${name}".audit_checkpoints WHERE seq > 3`);
    await query(`DELETE FROM "${name}".spend_ledger WHERE seq > 3`);
    await query(`DELETE FROM "${name}".audit_records WHERE seq > 3`);
    const cut = await verifyPostgresAuditLog({ url, schema: name, publicKeys: [key.publicKeyPem] });
    expect(cut.firstBroken?.reason).toMatch(/chain head says seq 5 but the log ends at seq 3/);
  });

  it('exports an evidence bundle from the database that verifies like a file log', async () => {
    const name = schema();
    await migrate({ url, schema: name });
    const sink = createPostgresAuditSink({
      url,
      schema: name,
      signingKey: key.privateKey,
      checkpointEvery: 4,
    });
    const written = Array.from({ length: 10 }, (_, index) => conformanceAuditRecord(index));
    for (const record of written) await sink.write(record);
    await sink.close();
    const out = await mkdtemp(join(tmpdir(), 'pixelgate-pg-bundle-'));
    try {
      const bundle = await exportPostgresEvidence({
        url,
        schema: name,
        from: '2026-12-01',
        to: '2026-12-31',
        out: join(out, 'bundle'),
        publicKeys: [key.publicKeyPem],
      });
      expect(bundle.verification).toMatchObject({ ok: true, records: 10, checkpoints: 3 });
      const lines = (await readFile(join(out, 'bundle', 'records.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).requestId)).toEqual(
        written.map((record) => record.requestId),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

import { canonicalJson, generateAuditSigningKey, hashAuditEntry } from '@pixelgate/core/audit';
import type { AuditSink } from '@pixelgate/core/spec';
import {
  type AuditTamperKind,
  conformanceAuditRecord,
  describeAuditSinkConformance,
} from '@pixelgate/core/testing';
import pg from 'pg';
import { describe } from 'vitest';
import { migrate } from './migrate.ts';
import { createPostgresAuditSink, type PostgresAuditSink } from './postgres-audit-sink.ts';
import { dropSchema, postgresTestUrl, testSchema } from './test-support/postgres-test-env.ts';
import { verifyPostgresAuditLog } from './verify-postgres-audit-log.ts';

const url = postgresTestUrl ?? '';
const key = generateAuditSigningKey();
const schemaOf = (sink: AuditSink) => (sink as PostgresAuditSink).schema;

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Changes the stored rows as each tamper kind describes, as someone with database access could. */
async function tamper(schema: string, kind: AuditTamperKind, seq: number): Promise<void> {
  await withClient(async (client) => {
    const table = `"${schema}".audit_records`;
    await client.query(`DELETE FROM "${schema}".spend_ledger`);
    const rows = (
      await client.query<{ seq: string; line: string }>(
        `SELECT seq, line FROM ${table} WHERE seq >= $1 ORDER BY seq`,
        [seq],
      )
    ).rows;
    const entries = rows.map((row) => JSON.parse(row.line) as Record<string, unknown>);
    const put = (at: number, entry: Record<string, unknown>) =>
      client.query(`UPDATE ${table} SET line = $2 WHERE seq = $1`, [at, canonicalJson(entry)]);
    if (kind === 'edit') await put(seq, { ...entries[0]!, tenantId: 'someone-else' });
    if (kind === 'delete') await client.query(`DELETE FROM ${table} WHERE seq = $1`, [seq]);
    if (kind === 'reorder') {
      await put(seq, entries[1]!);
      await put(seq + 1, entries[0]!);
    }
    if (kind === 'insert' || kind === 'rewrite') {
      // Renumber and rehash from `seq` on, as a forger without the key would.
      const chain =
        kind === 'insert'
          ? [entries[0]!, { ...conformanceAuditRecord(99) }, ...entries.slice(1)]
          : [{ ...entries[0]!, tenantId: 'someone-else' }, ...entries.slice(1)];
      let previous = entries[0]!.prevHash as string;
      await client.query(`DELETE FROM ${table} WHERE seq >= $1`, [seq]);
      for (const [index, entry] of chain.entries()) {
        const moved: Record<string, unknown> = { ...entry, seq: seq + index, prevHash: previous };
        delete moved.hash;
        const hash = hashAuditEntry(moved);
        previous = hash;
        await client.query(
          `INSERT INTO ${table} (seq, request_id, tenant_id, line) VALUES ($1, 'x', 'x', $2)`,
          [seq + index, canonicalJson({ ...moved, hash })],
        );
      }
      await client.query(`UPDATE "${schema}".audit_chain_head SET seq = $1, hash = $2`, [
        seq + chain.length - 1,
        previous,
      ]);
    }
  });
}

describe.skipIf(!postgresTestUrl)('PostgreSQL audit sink on a real PostgreSQL', () => {
  describeAuditSinkConformance({
    name: 'postgres',
    capabilities: { chained: true, lifecycle: true, scrubs: true },
    async createSink() {
      const schema = testSchema();
      await migrate({ url, schema });
      return createPostgresAuditSink({ url, schema, signingKey: key.privateKey, checkpointEvery: 5 });
    },
    createPeer: (sink) =>
      createPostgresAuditSink({
        url,
        schema: schemaOf(sink),
        signingKey: key.privateKey,
        checkpointEvery: 5,
      }),
    async readRecords(sink) {
      return withClient(async (client) =>
        (
          await client.query<{ line: string }>(
            `SELECT line FROM "${schemaOf(sink)}".audit_records ORDER BY seq`,
          )
        ).rows.map((row) => JSON.parse(row.line) as Record<string, unknown>),
      );
    },
    async verify(sink) {
      const result = await verifyPostgresAuditLog({
        url,
        schema: schemaOf(sink),
        publicKeys: [key.publicKeyPem],
      });
      return {
        ok: result.ok,
        records: result.records,
        ...(result.firstBroken ? { reason: result.firstBroken.reason } : {}),
      };
    },
    tamper: (sink, kind, seq) => tamper(schemaOf(sink), kind, seq),
    createUnavailableSink: () =>
      createPostgresAuditSink({
        url: 'postgres://postgres@127.0.0.1:1/test',
        schema: 'nowhere',
        signingKey: key.privateKey,
      }),
    async cleanup(sinks) {
      for (const schema of new Set(sinks.map(schemaOf)))
        if (schema !== 'nowhere') await dropSchema(url, schema);
    },
  });
});

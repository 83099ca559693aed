import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { GatewayError } from '@pixelgate/core/provider-utils';
import {
  DEFAULT_POSTGRES_SCHEMA,
  openPool,
  type PostgresConnectionOptions,
  quoteSchema,
} from './pg-connection.ts';

/** A migration as shipped: `NNN_name.sql` in the package's `migrations/` directory. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** What `migrate` did. */
export interface MigrationReport {
  schema: string;
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** The shipped migrations, in version order, with the schema placeholder filled in. */
export async function loadMigrations(schema: string): Promise<Migration[]> {
  const quoted = quoteSchema(schema);
  const names = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(new URL(name, MIGRATIONS_DIR), 'utf8');
      return {
        version: Number(name.slice(0, 3)),
        name: name.slice(4, -4),
        sql: text.replaceAll('{{schema}}', quoted),
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    }),
  );
}

/**
 * Brings the schema up to date: creates it if needed, then applies each shipped migration not yet
 * recorded in `<schema>.schema_migrations`, each in its own transaction. Several processes may
 * call it at once (every replica at start): a session advisory lock per schema lets one apply
 * while the others wait and then find nothing left to do. A migration already applied whose file
 * has changed since is refused, because the database would no longer match the code.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a changed migration or a database newer than the code.
 */
export async function migrate(options: PostgresConnectionOptions): Promise<MigrationReport> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const quoted = quoteSchema(schema);
  const migrations = await loadMigrations(schema);
  const { pool, owned } = openPool(options, 1);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`pixelgate.migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = new Map(
        (
          await client.query<{ version: number; checksum: string }>(
            `SELECT version, checksum FROM ${quoted}.schema_migrations`,
          )
        ).rows.map((row) => [row.version, row.checksum]),
      );
      const newest = migrations.at(-1)?.version ?? 0;
      for (const version of done.keys()) {
        if (version > newest) {
          throw new GatewayError(
            'CONFIGURATION_ERROR',
            `Schema ${schema} is at migration ${version}, newer than this pixelgate knows (${newest}); upgrade @pixelgate/store-postgres.`,
          );
        }
      }
      for (const migration of migrations) {
        const checksum = done.get(migration.version);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            throw new GatewayError(
              'CONFIGURATION_ERROR',
              `Migration ${migration.version} (${migration.name}) was applied to schema ${schema} from a different file; the database no longer matches the code.`,
            );
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO ${quoted}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
            [migration.version, migration.name, migration.checksum],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
        applied.push(migration.version);
      }
      return { schema, applied, version: newest };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1))', [`pixelgate.migrate:${schema}`])
        .catch(() => {});
    }
  } finally {
    client.release();
    if (owned) await pool.end();
  }
}

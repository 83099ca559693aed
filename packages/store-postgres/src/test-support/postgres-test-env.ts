import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The real PostgreSQL the tests use (`PIXELGATE_TEST_POSTGRES_URL`); the suites skip without it. */
export const postgresTestUrl = process.env.PIXELGATE_TEST_POSTGRES_URL;

/** The line printed once when the suites are skipped. */
export const POSTGRES_SKIP_NOTICE =
  'store-postgres: PostgreSQL suites skipped; set PIXELGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run them against a real PostgreSQL.';

/** A schema name no other test run uses. */
export function testSchema(): string {
  return `pgtest_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

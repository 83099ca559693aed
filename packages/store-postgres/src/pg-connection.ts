import { GatewayError } from '@pixelgate/core/provider-utils';
import pg from 'pg';

/** How a PostgreSQL store connects: a URL (the store owns a small pool) or the application's pool. */
export interface PostgresConnectionOptions {
  /** `postgres://user[:password]@host:port/database`; the store creates and ends its pool. */
  url?: string;
  /** A `pg` pool to use; the application keeps owning and ending it. */
  pool?: pg.Pool;
  /** Schema holding pixelgate's tables (default `pixelgate`); created by `migrate`. */
  schema?: string;
}

/** The schema when none is given. */
export const DEFAULT_POSTGRES_SCHEMA = 'pixelgate';

/**
 * Checks a schema name and returns it quoted for SQL. Only plain lower-case identifiers are
 * accepted, so a name can never change the meaning of a statement.
 *
 * @throws GatewayError CONFIGURATION_ERROR naming what is accepted.
 */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `The PostgreSQL schema "${schema}" must be a lower-case identifier: letters a-z, digits and _, not starting with a digit, at most 63 characters.`,
      { param: 'schema' },
    );
  }
  return `"${schema}"`;
}

/** The pool a store uses and whether the store owns (and must end) it. */
export function openPool(options: PostgresConnectionOptions, max = 2): { pool: pg.Pool; owned: boolean } {
  if (options.pool) return { pool: options.pool, owned: false };
  if (!options.url) {
    throw new GatewayError('CONFIGURATION_ERROR', 'A PostgreSQL store needs `url` or `pool`.', {
      param: 'url',
    });
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection that drops while idle is replaced on the next query; the error surfaces there.
  pool.on('error', () => {});
  return { pool, owned: true };
}

/**
 * STORAGE_ERROR (503, retryable) for a PostgreSQL that cannot be reached or refused a statement.
 * The message never includes the URL (it may hold a password).
 */
export function postgresUnavailable(what: string, consequence: string, cause: unknown): GatewayError {
  return new GatewayError('STORAGE_ERROR', `The ${what} (PostgreSQL) could not be written; ${consequence}`, {
    cause,
    retryable: true,
    details: { store: 'postgres', reason: 'unavailable' },
  });
}

/**
 * The readiness check of the PostgreSQL stores: one read of a table `migrate` creates, so a
 * database that answers but was never migrated is not ready either. The error names the error
 * code (`ECONNREFUSED`, `28P01`, `42P01` for a missing table), never the URL, which may hold a
 * password.
 */
export async function checkPostgres(pool: pg.Pool, schema: string, table: string): Promise<void> {
  try {
    await pool.query(`SELECT 1 FROM ${schema}.${table} LIMIT 1`);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const missing = code === '42P01' || code === '3F000';
    const reason = typeof code === 'string' ? code : 'no answer';
    throw new Error(
      missing
        ? `PostgreSQL answers, but ${table} is missing: run migrate (${reason})`
        : `PostgreSQL cannot be reached (${reason})`,
    );
  }
}

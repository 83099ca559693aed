import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EvidenceBundle,
  type ExportEvidenceOptions,
  exportEvidence,
  fileStamp,
} from '@pixelgate/core/audit';
import { DEFAULT_POSTGRES_SCHEMA, openPool, type PostgresConnectionOptions } from './pg-connection.ts';
import { readPostgresAuditLines } from './verify-postgres-audit-log.ts';

/** Options of {@link exportPostgresEvidence}: the file export's, with a database instead of a directory. */
export type ExportPostgresEvidenceOptions = Omit<ExportEvidenceOptions, 'dir'> & PostgresConnectionOptions;

/**
 * Writes a PostgreSQL audit log out in the file log's format (records in order, each checkpoint
 * after the record it covers), to a private temporary directory, and runs the file evidence
 * export on it, so the bundle (records, verification, keys, summary, report, manifest) is the same
 * whichever sink kept the log. The temporary copy is removed afterwards.
 */
export async function exportPostgresEvidence(
  options: ExportPostgresEvidenceOptions,
): Promise<EvidenceBundle> {
  const { url: _url, pool: _pool, schema: _schema, ...fileOptions } = options;
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-pg-export-'));
  const { pool, owned } = openPool(options, 1);
  try {
    const out = createWriteStream(join(dir, `audit-000000000001-${fileStamp(Date.now())}.jsonl`), {
      mode: 0o600,
    });
    for await (const line of readPostgresAuditLines(pool, options.schema ?? DEFAULT_POSTGRES_SCHEMA)) {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    return await exportEvidence({ ...fileOptions, dir });
  } finally {
    if (owned) await pool.end();
    await rm(dir, { recursive: true, force: true });
  }
}

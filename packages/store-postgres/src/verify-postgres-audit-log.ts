import type { KeyObject } from 'node:crypto';
import {
  type AuditPublicKeys,
  type AuditVerification,
  auditKeyId,
  canonicalJson,
  GENESIS_HASH,
  hashAuditEntry,
  toPublicKey,
  verifyCheckpointSignature,
} from '@pixelgate/core/audit';
import { type AuditCheckpoint, auditRecordSchema } from '@pixelgate/core/spec';
import type pg from 'pg';
import {
  DEFAULT_POSTGRES_SCHEMA,
  openPool,
  type PostgresConnectionOptions,
  quoteSchema,
} from './pg-connection.ts';

/** Options of {@link verifyPostgresAuditLog}. */
export interface VerifyPostgresAuditLogOptions extends PostgresConnectionOptions {
  /** Keys whose checkpoints are trusted. */
  publicKeys: AuditPublicKeys;
  /** Accept records after the last checkpoint (a live log). Default false. */
  allowUnsignedTail?: boolean;
  /** The log must reach at least this sequence number (an externally kept head), else truncation. */
  expectSeq?: number;
  /** Called for each record in order. */
  onRecord?: (record: Record<string, unknown>, where: { file: string; line: number }) => void;
  /** Records read per query (default 2000). */
  pageSize?: number;
}

function keyMap(keys: AuditPublicKeys): Map<string, KeyObject> {
  const map = new Map<string, KeyObject>();
  const list = Array.isArray(keys) ? (keys as ReadonlyArray<KeyObject | string>) : Object.values(keys);
  for (const key of list) map.set(auditKeyId(key), toPublicKey(key));
  if (!Array.isArray(keys)) for (const [id, key] of Object.entries(keys)) map.set(id, toPublicKey(key));
  return map;
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the checkpoint rows alone: canonical, signed by a trusted key, numbered without gaps. */
function checkCheckpoints(
  rows: Array<{ n: string; seq: string; line: string }>,
  keys: Map<string, KeyObject>,
): { checkpoints: AuditCheckpoint[]; keyIds: Set<string>; broken?: { n: number; reason: string } } {
  const checkpoints: AuditCheckpoint[] = [];
  const keyIds = new Set<string>();
  let previousSeq = 0;
  for (const [index, row] of rows.entries()) {
    const n = Number(row.n);
    const entry = parse(row.line) as unknown as AuditCheckpoint | undefined;
    const fail = (reason: string) => ({ checkpoints, keyIds, broken: { n, reason } });
    if (!entry || canonicalJson(entry) !== row.line)
      return fail('checkpoint row is not canonical JSON (edited)');
    if (entry.type !== 'checkpoint' || entry.n !== n || entry.seq !== Number(row.seq))
      return fail('checkpoint row does not match its columns (edited or moved)');
    if (n !== index + 1) return fail(`checkpoint ${n} follows checkpoint ${index} (a checkpoint is missing)`);
    const key = keys.get(String(entry.keyId));
    if (!key) return fail(`checkpoint signed by unknown key "${String(entry.keyId)}"`);
    if (!verifyCheckpointSignature(entry, key)) return fail('checkpoint signature is invalid');
    if (entry.seq < previousSeq) return fail('checkpoint covers less than the one before it (reordered)');
    previousSeq = entry.seq;
    checkpoints.push(entry);
    keyIds.add(String(entry.keyId));
  }
  return { checkpoints, keyIds };
}

/**
 * Checks a PostgreSQL audit log end to end with the file verifier's rules: every record row
 * canonical JSON whose `seq` is its row's, numbered from 1 without gaps, each `prevHash` the
 * previous `hash`, each `hash` recomputed, each record valid against the schema; checkpoints
 * numbered without gaps, signed by a trusted key and matching the chain at their position; the
 * chain head row agreeing with the last record; and (unless `allowUnsignedTail`) no record after
 * the last checkpoint. An edited, deleted, inserted or reordered row and a log rewritten without
 * the key are all reported, with the first broken place (`file` is the table, `line` the seq).
 */
export async function verifyPostgresAuditLog(
  options: VerifyPostgresAuditLogOptions,
): Promise<AuditVerification> {
  const schemaName = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const schema = quoteSchema(schemaName);
  const keys = keyMap(options.publicKeys);
  const table = `${schemaName}.audit_records`;
  const { pool, owned } = openPool(options, 1);
  const result: AuditVerification = {
    ok: false,
    records: 0,
    checkpoints: 0,
    files: 1,
    lastSeq: 0,
    lastHash: GENESIS_HASH,
    keyIds: [],
    recoveries: [],
    unsignedTail: 0,
  };
  let keyIds = new Set<string>();
  const broken = (file: string, line: number, reason: string, seq?: number): AuditVerification => {
    result.firstBroken = { file, line, reason, ...(seq === undefined ? {} : { seq }) };
    result.keyIds = [...keyIds].sort();
    return result;
  };
  try {
    const checked = checkCheckpoints(
      (
        await pool.query<{ n: string; seq: string; line: string }>(
          `SELECT n, seq, line FROM ${schema}.audit_checkpoints ORDER BY n`,
        )
      ).rows,
      keys,
    );
    keyIds = checked.keyIds;
    if (checked.broken)
      return broken(`${schemaName}.audit_checkpoints`, checked.broken.n, checked.broken.reason);
    const pending = checked.checkpoints;
    let nextCheckpoint = 0;
    let coveredSeq = 0;
    const pageSize = options.pageSize ?? 2000;
    for (;;) {
      const { rows } = await pool.query<{ seq: string; line: string }>(
        `SELECT seq, line FROM ${schema}.audit_records WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [result.lastSeq, pageSize],
      );
      for (const row of rows) {
        const rowSeq = Number(row.seq);
        const entry = parse(row.line);
        if (!entry || canonicalJson(entry) !== row.line)
          return broken(table, rowSeq, 'row is not canonical JSON (edited)', rowSeq);
        if (rowSeq !== result.lastSeq + 1 || entry.seq !== rowSeq) {
          return broken(
            table,
            rowSeq,
            `record seq ${String(entry.seq)} in row ${rowSeq} where ${result.lastSeq + 1} was expected (a record is missing, inserted or out of order)`,
            rowSeq,
          );
        }
        if (entry.prevHash !== result.lastHash)
          return broken(table, rowSeq, 'prevHash does not match the previous record (chain broken)', rowSeq);
        if (entry.hash !== hashAuditEntry(entry))
          return broken(table, rowSeq, 'hash does not match the record (edited)', rowSeq);
        const { seq: _seq, prevHash: _prev, hash: _hash, ...record } = entry;
        if (!auditRecordSchema.safeParse(record).success)
          return broken(table, rowSeq, 'record does not match the audit record schema', rowSeq);
        options.onRecord?.(entry, { file: table, line: rowSeq });
        result.records++;
        result.lastSeq = rowSeq;
        result.lastHash = entry.hash as string;
        while (nextCheckpoint < pending.length && pending[nextCheckpoint]!.seq === rowSeq) {
          const checkpoint = pending[nextCheckpoint]!;
          if (checkpoint.hash !== result.lastHash)
            return broken(
              table,
              rowSeq,
              'signed checkpoint does not match the chain (records before it were changed)',
              rowSeq,
            );
          coveredSeq = rowSeq;
          result.checkpoints++;
          nextCheckpoint++;
        }
      }
      if (rows.length < pageSize) break;
    }
    if (nextCheckpoint < pending.length) {
      const checkpoint = pending[nextCheckpoint]!;
      return broken(
        table,
        checkpoint.seq,
        `checkpoint ${checkpoint.n} covers seq ${checkpoint.seq} but the log ends at seq ${result.lastSeq} (records were deleted)`,
        checkpoint.seq,
      );
    }
    const head = (
      await pool.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM ${schema}.audit_chain_head WHERE id = 1`,
      )
    ).rows[0];
    if (!head || Number(head.seq) !== result.lastSeq || head.hash !== result.lastHash) {
      return broken(
        table,
        0,
        `the chain head says seq ${head?.seq ?? 'none'} but the log ends at seq ${result.lastSeq} (rows were removed or added)`,
        result.lastSeq,
      );
    }
    if (options.expectSeq !== undefined && result.lastSeq < options.expectSeq) {
      return broken(
        table,
        0,
        `log ends at seq ${result.lastSeq} but seq ${options.expectSeq} was expected (truncated)`,
        result.lastSeq,
      );
    }
    result.unsignedTail = result.lastSeq - coveredSeq;
    if (result.records > 0 && result.checkpoints === 0 && !options.allowUnsignedTail)
      return broken(
        table,
        0,
        'no signed checkpoint in the log (rewritten without the key, or never checkpointed)',
      );
    if (result.unsignedTail > 0 && !options.allowUnsignedTail) {
      return broken(
        table,
        0,
        `${result.unsignedTail} record(s) after the last signed checkpoint (truncated, rewritten, or no writer has closed or flushed yet)`,
        coveredSeq + 1,
      );
    }
    result.ok = true;
    result.keyIds = [...keyIds].sort();
    return result;
  } finally {
    if (owned) await pool.end();
  }
}

/** The rows of a log in file order (records, each checkpoint after the record it covers), for export. */
export async function* readPostgresAuditLines(
  pool: pg.Pool,
  schemaName: string,
  pageSize = 2000,
): AsyncGenerator<string> {
  const schema = quoteSchema(schemaName);
  const checkpoints = (
    await pool.query<{ seq: string; line: string }>(
      `SELECT seq, line FROM ${schema}.audit_checkpoints ORDER BY n`,
    )
  ).rows;
  let next = 0;
  let last = 0;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; line: string }>(
      `SELECT seq, line FROM ${schema}.audit_records WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [last, pageSize],
    );
    for (const row of rows) {
      last = Number(row.seq);
      yield row.line;
      while (next < checkpoints.length && Number(checkpoints[next]!.seq) <= last)
        yield checkpoints[next++]!.line;
    }
    if (rows.length < pageSize) break;
  }
  while (next < checkpoints.length) yield checkpoints[next++]!.line;
}

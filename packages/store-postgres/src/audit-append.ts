import type { KeyObject } from 'node:crypto';
import { canonicalJson, hashAuditEntry, signCheckpoint } from '@pixelgate/core/audit';
import type { AuditRecord, CheckpointReason } from '@pixelgate/core/spec';
import type pg from 'pg';

/** One thing to append: a record, or a request for a checkpoint. */
export type AppendItem =
  | { kind: 'record'; record: AuditRecord }
  | { kind: 'checkpoint'; reason: CheckpointReason };

/** How checkpoints are signed and how often. */
export interface CheckpointPolicy {
  privateKey: KeyObject;
  keyId: string;
  /** A checkpoint after this many records since the last one. */
  everyRecords: number;
  now(): number;
}

interface Head {
  seq: number;
  hash: string;
  checkpoints: number;
  checkpointSeq: number;
}

/** Columns of the rows one transaction inserts, as arrays for `unnest`. */
class Rows {
  readonly records = {
    seq: [] as number[],
    requestId: [] as string[],
    tenantId: [] as string[],
    line: [] as string[],
  };
  readonly ledger = {
    seq: [] as number[],
    requestId: [] as string[],
    tenantId: [] as string[],
    userId: [] as Array<string | null>,
    keyId: [] as Array<string | null>,
    model: [] as Array<string | null>,
    micros: [] as number[],
    at: [] as string[],
  };
  readonly checkpoints = { n: [] as number[], seq: [] as number[], line: [] as string[] };
}

function requestTime(record: AuditRecord): string {
  const time = Date.parse(record.timestamp);
  return Number.isFinite(time) ? new Date(time).toISOString() : new Date().toISOString();
}

function addRecord(rows: Rows, head: Head, record: AuditRecord): void {
  const entry: Record<string, unknown> = { ...record, seq: head.seq + 1, prevHash: head.hash };
  const hash = hashAuditEntry(entry);
  head.seq++;
  head.hash = hash;
  rows.records.seq.push(head.seq);
  rows.records.requestId.push(record.requestId);
  rows.records.tenantId.push(record.tenantId);
  rows.records.line.push(canonicalJson({ ...entry, hash }));
  const actual = record.cost?.actualUsd;
  if (actual !== undefined && Number.isFinite(actual) && actual >= 0) {
    rows.ledger.seq.push(head.seq);
    rows.ledger.requestId.push(record.requestId);
    rows.ledger.tenantId.push(record.tenantId);
    rows.ledger.userId.push(record.userId ?? null);
    rows.ledger.keyId.push(record.keyId ?? null);
    rows.ledger.model.push(record.model ?? null);
    rows.ledger.micros.push(Math.round(actual * 1_000_000));
    rows.ledger.at.push(requestTime(record));
  }
}

function addCheckpoint(rows: Rows, head: Head, reason: CheckpointReason, policy: CheckpointPolicy): void {
  const checkpoint = signCheckpoint(
    {
      type: 'checkpoint',
      n: head.checkpoints + 1,
      seq: head.seq,
      hash: head.hash,
      keyId: policy.keyId,
      timestamp: new Date(policy.now()).toISOString(),
      reason,
    },
    policy.privateKey,
  );
  head.checkpoints++;
  head.checkpointSeq = head.seq;
  rows.checkpoints.n.push(checkpoint.n);
  rows.checkpoints.seq.push(checkpoint.seq);
  rows.checkpoints.line.push(canonicalJson(checkpoint));
}

/**
 * Appends a batch in one transaction: locks the chain head row (so appends of every process are
 * serialized into one chain), numbers and hashes the records after it, adds a signed checkpoint
 * where due, writes records, ledger rows and checkpoints and moves the head in one statement, and
 * commits. Nothing is acknowledged before the commit; a failure rolls everything back, leaving the
 * chain exactly as it was.
 */
export async function appendBatch(
  client: pg.PoolClient,
  schema: string,
  items: ReadonlyArray<AppendItem>,
  policy: CheckpointPolicy,
): Promise<void> {
  try {
    // One round trip opens the transaction and takes the chain head's row lock (no parameters,
    // so both statements travel as one simple query).
    const opened = (await client.query(
      `BEGIN; SELECT seq, hash, checkpoints, checkpoint_seq FROM ${schema}.audit_chain_head WHERE id = 1 FOR UPDATE`,
    )) as unknown as Array<
      pg.QueryResult<{ seq: string; hash: string; checkpoints: string; checkpoint_seq: string }>
    >;
    const row = opened[1]!.rows[0]!;
    const head: Head = {
      seq: Number(row.seq),
      hash: row.hash,
      checkpoints: Number(row.checkpoints),
      checkpointSeq: Number(row.checkpoint_seq),
    };
    const rows = new Rows();
    for (const item of items) {
      if (item.kind === 'record') {
        addRecord(rows, head, item.record);
        if (head.seq - head.checkpointSeq >= policy.everyRecords) addCheckpoint(rows, head, 'count', policy);
      } else if (head.seq > head.checkpointSeq) {
        addCheckpoint(rows, head, item.reason, policy);
      }
    }
    const { records: r, ledger: l, checkpoints: c } = rows;
    await client.query(
      `WITH records AS (
         INSERT INTO ${schema}.audit_records (seq, request_id, tenant_id, line)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
       ), ledger AS (
         INSERT INTO ${schema}.spend_ledger (seq, request_id, tenant_id, user_id, key_id, model, cost_micros, requested_at)
         SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::timestamptz[])
       ), checkpoints AS (
         INSERT INTO ${schema}.audit_checkpoints (n, seq, line)
         SELECT * FROM unnest($13::bigint[], $14::bigint[], $15::text[])
       )
       UPDATE ${schema}.audit_chain_head SET seq = $16, hash = $17, checkpoints = $18, checkpoint_seq = $19 WHERE id = 1`,
      [
        r.seq,
        r.requestId,
        r.tenantId,
        r.line,
        l.seq,
        l.requestId,
        l.tenantId,
        l.userId,
        l.keyId,
        l.model,
        l.micros,
        l.at,
        c.n,
        c.seq,
        c.line,
        head.seq,
        head.hash,
        head.checkpoints,
        head.checkpointSeq,
      ],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

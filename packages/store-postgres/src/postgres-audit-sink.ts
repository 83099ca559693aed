import type { KeyObject } from 'node:crypto';
import { assertAuditSafe, auditKeyId, scrubAuditRecord, toPrivateKey } from '@pixelgate/core/audit';
import { GatewayError } from '@pixelgate/core/provider-utils';
import type { AuditRecord, AuditSink, Clock } from '@pixelgate/core/spec';
import type pg from 'pg';
import { type AppendItem, appendBatch, type CheckpointPolicy } from './audit-append.ts';
import {
  checkPostgres,
  DEFAULT_POSTGRES_SCHEMA,
  openPool,
  type PostgresConnectionOptions,
  postgresUnavailable,
  quoteSchema,
} from './pg-connection.ts';

/** Options of {@link createPostgresAuditSink}. */
export interface PostgresAuditSinkOptions extends PostgresConnectionOptions {
  /** Ed25519 private key (KeyObject or PEM) that signs checkpoints; the same on every replica. */
  signingKey: KeyObject | string;
  /** Id written in checkpoints (default: derived from the public key). */
  keyId?: string;
  /**
   * Checkpoint after this many records (a number), or `{ records, ms }` (default 1000 records or
   * 60 s, whichever first; `close` and `flush` always write one when records are uncovered).
   */
  checkpointEvery?: number | { records?: number; ms?: number };
  /** Most records appended in one transaction (default 500). */
  maxBatch?: number;
  /** `scrub` (default), `throw` or `off`, as for the file sink. */
  guard?: 'scrub' | 'throw' | 'off';
  clock?: Clock;
}

/** The PostgreSQL sink with its lifecycle helpers. */
export interface PostgresAuditSink extends AuditSink {
  /** Resolves when PostgreSQL answers and the audit tables exist (readiness probes). */
  check(): Promise<void>;
  /** Writes a checkpoint over everything appended so far (if anything is uncovered). */
  flush(): Promise<void>;
  /** Writes a final checkpoint, then refuses further records and ends the pool if it owns it. */
  close(): Promise<void>;
  readonly schema: string;
}

type Pending = { item: AppendItem; resolve: () => void; reject: (error: unknown) => void };

function guarded(record: AuditRecord, guard: 'scrub' | 'throw' | 'off'): AuditRecord {
  if (guard === 'off') return record;
  try {
    assertAuditSafe(record);
    return record;
  } catch (error) {
    if (guard !== 'scrub') throw error;
    const cleaned = scrubAuditRecord(record).record;
    const safe = { ...cleaned, labels: [...new Set([...cleaned.labels, 'audit:scrubbed'])].sort() };
    assertAuditSafe(safe);
    return safe;
  }
}

/**
 * The audit log for many gateway replicas, in PostgreSQL, with the file sink's record format and
 * tamper evidence: one SHA-256 chain over every writer's records (each append transaction locks
 * the chain head row, so processes take turns and the chain never forks) and Ed25519-signed
 * checkpoints as their own rows. `write` resolves only after the transaction holding the record
 * has committed. Records queued while a transaction runs go together in the next one (group
 * commit), so throughput grows with load. A failed transaction rolls back completely and fails
 * only its own records: the chain stays intact and the next write tries again, so the sink
 * recovers by itself when PostgreSQL is back. Each record with a settled cost also lands in the
 * spend ledger in the same transaction. Run `migrate` first.
 */
export function createPostgresAuditSink(options: PostgresAuditSinkOptions): PostgresAuditSink {
  const schemaName = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const schema = quoteSchema(schemaName);
  const privateKey = toPrivateKey(options.signingKey);
  const every =
    typeof options.checkpointEvery === 'number'
      ? { records: options.checkpointEvery }
      : (options.checkpointEvery ?? {});
  const everyRecords = every.records ?? 1000;
  const everyMs = every.ms ?? (typeof options.checkpointEvery === 'number' ? undefined : 60_000);
  const maxBatch = options.maxBatch ?? 500;
  if (!Number.isInteger(everyRecords) || everyRecords < 1 || !Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'checkpointEvery records and maxBatch must be positive integers.',
    );
  }
  const clock = options.clock ?? { now: () => Date.now() };
  const policy: CheckpointPolicy = {
    privateKey,
    keyId: options.keyId ?? auditKeyId(privateKey),
    everyRecords,
    now: () => clock.now(),
  };
  const guard = options.guard ?? 'scrub';
  const { pool, owned } = openPool(options);
  const queue: Pending[] = [];
  let running = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  const run = async (batch: Pending[]): Promise<void> => {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      await appendBatch(
        client,
        schema,
        batch.map((pending) => pending.item),
        policy,
      );
      client.release();
      for (const pending of batch) pending.resolve();
    } catch (error) {
      // A connection that failed mid-transaction is not reused.
      client?.release(true);
      const failure = postgresUnavailable(
        'audit log',
        'the requests whose records these were are failed, not answered unaudited; later writes try again.',
        error,
      );
      for (const pending of batch) pending.reject(failure);
    }
  };
  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) await run(queue.splice(0, maxBatch));
    } finally {
      running = false;
    }
  };
  const enqueue = (item: AppendItem): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      void pump();
    });

  const timer =
    everyMs === undefined
      ? undefined
      : setInterval(() => {
          if (!closed) enqueue({ kind: 'checkpoint', reason: 'interval' }).catch(() => {});
        }, everyMs);
  timer?.unref?.();

  return {
    schema: schemaName,
    write(record) {
      if (closed) return Promise.reject(new GatewayError('INTERNAL_ERROR', 'The audit sink is closed.'));
      let safe: AuditRecord;
      try {
        safe = guarded(record, guard);
      } catch (error) {
        return Promise.reject(error);
      }
      return enqueue({ kind: 'record', record: safe });
    },
    check: () => checkPostgres(pool, schema, 'audit_chain_head'),
    flush() {
      if (closed) return Promise.resolve();
      return enqueue({ kind: 'checkpoint', reason: 'flush' });
    },
    close() {
      closing ??= (async () => {
        closed = true;
        if (timer) clearInterval(timer);
        try {
          await enqueue({ kind: 'checkpoint', reason: 'close' });
        } finally {
          if (owned) await pool.end().catch(() => {});
        }
      })();
      return closing;
    },
  };
}

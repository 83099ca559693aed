import type { KeyObject } from 'node:crypto';
import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { auditKeyId, type CheckpointReason, toPrivateKey } from './audit-chain.ts';
import { type AuditLogItem, AuditLogWriter, type AuditLogWriterOptions } from './audit-log-writer.ts';
import type { AuditRecord, AuditSink } from './audit-record.ts';
import { assertAuditSafe, scrubAuditRecord } from './audit-safety.ts';
import { createGroupCommit } from './group-commit.ts';

/** Options of {@link createFileAuditSink}. */
export interface FileAuditSinkOptions {
  /** Directory of the log (created if missing). One sink per directory. */
  dir: string;
  /**
   * Records are group-committed adaptively: a record that arrives while nothing is being written
   * is written and synced at once; records that arrive during a sync go out together in the next
   * write (at most `maxBatch`, default 256). Either way `write` resolves only once its record is
   * synced to disk, so nothing acknowledged is lost in a crash. `fsync` (the default) and
   * `{ maxBatch }` differ only in the batch cap.
   */
  durability?:
    | 'fsync'
    | {
        maxBatch: number;
        /**
         * @deprecated Ignored (an integer >= 0 is still checked, so old configurations load):
         * records no longer wait for a timer, the batch is whatever arrives during one sync.
         */
        batchMs?: number;
      };
  /** Start a new file past `maxBytes` (default 64 MiB) and/or at each UTC day (default true). */
  rotate?: { maxBytes?: number; daily?: boolean };
  /** Ed25519 private key (KeyObject or PEM) that signs checkpoints. */
  signingKey: KeyObject | string;
  /** Id written in checkpoints (default: derived from the public key, see `auditKeyId`). */
  keyId?: string;
  /**
   * Checkpoint after this many records (a number), or `{ records, ms }` (default 1000 records or
   * 60 s, whichever first; a close always writes one). The `ms` timer starts with the first
   * record after a checkpoint, so every record is signed within `ms` of being written, and each
   * checkpoint states that promise (`nextWithinMs`) for the verifier.
   */
  checkpointEvery?: number | { records?: number; ms?: number };
  /** Time source for timestamps, file names and day rotation. */
  clock?: Clock;
  /**
   * What to do with a record carrying base64, bytes or a secret: `scrub` (default) masks the
   * values, adds the label `audit:scrubbed` and writes it (every request keeps its record);
   * `throw` refuses the record (for tests); `off` writes it as is.
   */
  guard?: 'scrub' | 'throw' | 'off';
}

/** The file sink with its lifecycle helpers. */
export interface FileAuditSink extends AuditSink {
  /** Opens the log (recovering from a crash if needed); `write` does it on first use. */
  open(): Promise<void>;
  /** Resolves once everything queued is written and synced. */
  flush(): Promise<void>;
  /** Writes a final checkpoint, syncs and closes; later writes are refused. */
  close(): Promise<void>;
  /**
   * Current position, for monitoring; `commits` counts group commits (one write and one sync
   * each), so `seq / commits` is the average batch size.
   */
  stats(): { seq: number; checkpoints: number; commits: number; file: string | undefined; failed: boolean };
}

interface ResolvedSinkOptions {
  writer: AuditLogWriterOptions;
  maxBatch: number;
  checkpointMs: number | undefined;
  guard: 'scrub' | 'throw' | 'off';
}

function resolveSinkOptions(options: FileAuditSinkOptions): ResolvedSinkOptions {
  const privateKey = toPrivateKey(options.signingKey);
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync') {
    const { batchMs = 0, maxBatch } = durability;
    if (!(Number.isInteger(batchMs) && batchMs >= 0 && Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        'Audit durability batching needs an integer maxBatch >= 1 (and batchMs, if given, an integer >= 0).',
      );
    }
  }
  const every =
    typeof options.checkpointEvery === 'number'
      ? { records: options.checkpointEvery }
      : (options.checkpointEvery ?? {});
  const checkpointRecords = every.records ?? 1000;
  const checkpointMs = every.ms ?? (typeof options.checkpointEvery === 'number' ? undefined : 60_000);
  if (!Number.isInteger(checkpointRecords) || checkpointRecords < 1) {
    throw new GatewayError('CONFIGURATION_ERROR', 'checkpointEvery records must be a positive integer.');
  }
  if (checkpointMs !== undefined && !(Number.isInteger(checkpointMs) && checkpointMs >= 1)) {
    throw new GatewayError('CONFIGURATION_ERROR', 'checkpointEvery ms must be a positive integer.');
  }
  return {
    writer: {
      dir: options.dir,
      privateKey,
      keyId: options.keyId ?? auditKeyId(privateKey),
      clock: options.clock ?? systemClock,
      maxBytes: options.rotate?.maxBytes ?? 64 * 1024 * 1024,
      daily: options.rotate?.daily ?? true,
      checkpointRecords,
      ...(checkpointMs === undefined ? {} : { nextWithinMs: checkpointMs }),
    },
    maxBatch: durability === 'fsync' ? 256 : durability.maxBatch,
    checkpointMs,
    guard: options.guard ?? 'scrub',
  };
}

/**
 * The record as it may be written: unchanged when clean (the fast path); under `scrub`, a copy
 * with the offending values masked and the label `audit:scrubbed`.
 */
function guardRecord(record: AuditRecord, guard: ResolvedSinkOptions['guard']): AuditRecord {
  if (guard === 'off') return record;
  try {
    assertAuditSafe(record);
    return record;
  } catch (error) {
    if (guard !== 'scrub') throw error;
  }
  const cleaned = scrubAuditRecord(record);
  const safe = {
    ...cleaned.record,
    labels: [...new Set([...cleaned.record.labels, 'audit:scrubbed'])].sort(),
  };
  assertAuditSafe(safe);
  return safe;
}

/**
 * The default durable audit sink: canonical JSON lines in local files, hash-chained (each record
 * carries `seq`, `prevHash` and its own SHA-256 `hash`) with Ed25519-signed checkpoints as their
 * own lines, so editing, deleting, inserting or reordering records, or rewriting the log without
 * the key, is detected by `verifyAuditLog`. Writes go through one adaptive group-commit queue
 * (see {@link createGroupCommit}), so concurrent requests never interleave and a lone record
 * never waits for a timer. Files rotate by size and UTC day; the chain continues across files and
 * each new file opens with a checkpoint over the previous one. On start the sink recovers the
 * chain head (see {@link AuditLogWriter.recover}). A write error fails the sink (later writes are
 * refused) rather than risk a gap; a restart recovers. One process per directory.
 */
export function createFileAuditSink(options: FileAuditSinkOptions): FileAuditSink {
  const resolved = resolveSinkOptions(options);
  const writer = new AuditLogWriter(resolved.writer);
  let closed = false;
  let closing: Promise<void> | undefined;
  let ready: Promise<void> | undefined;
  let checkpointTimer: ReturnType<typeof setTimeout> | undefined;

  const ensureReady = (): Promise<void> => {
    ready ??= writer.recover();
    return ready;
  };
  const queue = createGroupCommit<AuditLogItem>({
    maxBatch: resolved.maxBatch,
    prepare: ensureReady,
    commit: (batch) => writer.writeBatch(batch),
    afterCommit: () => armCheckpointTimer(),
    failure: sinkFailed,
  });
  /** Starts the checkpoint clock with the first unsigned record; a checkpoint stops it. */
  const armCheckpointTimer = (): void => {
    if (writer.unsigned === 0) {
      if (checkpointTimer) clearTimeout(checkpointTimer);
      checkpointTimer = undefined;
      return;
    }
    if (checkpointTimer || resolved.checkpointMs === undefined || closed) return;
    checkpointTimer = setTimeout(() => {
      checkpointTimer = undefined;
      if (!closed) queue.submit({ kind: 'checkpoint', reason: 'interval' }).catch(() => {});
    }, resolved.checkpointMs);
    checkpointTimer.unref?.();
  };
  const refuse = (): GatewayError | undefined => {
    if (closed) return new GatewayError('INTERNAL_ERROR', 'The audit sink is closed.');
    const failed = queue.failed();
    return failed === undefined ? undefined : sinkFailed(failed);
  };
  const checkpoint = (reason: CheckpointReason) => queue.submit({ kind: 'checkpoint', reason });

  return {
    open: ensureReady,
    write(record) {
      const refusal = refuse();
      if (refusal) return Promise.reject(refusal);
      let safe: AuditRecord;
      try {
        safe = guardRecord(record, resolved.guard);
      } catch (error) {
        return Promise.reject(error);
      }
      return queue.submit({ kind: 'record', record: safe });
    },
    flush() {
      const refusal = refuse();
      if (refusal) return closed ? Promise.resolve() : Promise.reject(refusal);
      return checkpoint('flush');
    },
    close() {
      // Refuse new records at once; the ones already queued are written before the final checkpoint.
      closing ??= (async () => {
        closed = true;
        if (checkpointTimer) clearTimeout(checkpointTimer);
        if (queue.failed() === undefined) await checkpoint('close').catch(() => {});
        await writer.close().catch(() => {});
        const failed = queue.failed();
        if (failed !== undefined) throw sinkFailed(failed);
      })();
      return closing;
    },
    stats() {
      return {
        seq: writer.tail.seq,
        checkpoints: writer.tail.checkpoints,
        commits: writer.commits,
        file: writer.file,
        failed: queue.failed() !== undefined,
      };
    },
  };
}

function sinkFailed(cause: unknown): GatewayError {
  if (GatewayError.isInstance(cause)) return cause;
  return new GatewayError(
    'STORAGE_ERROR',
    'The audit log could not be written; no further records are accepted until the sink is restarted.',
    {
      cause,
      retryable: false,
    },
  );
}

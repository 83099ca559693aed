import type { KeyObject } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import {
  type AuditCheckpoint,
  auditKeyId,
  type CheckpointReason,
  fileStamp,
  GENESIS_HASH,
  hashAuditEntry,
  signCheckpoint,
  sortAuditFiles,
  toPrivateKey,
} from './audit-chain.ts';
import type { AuditRecord, AuditSink } from './audit-record.ts';
import { assertAuditSafe, scrubAuditRecord } from './audit-safety.ts';
import { canonicalJson } from './canonical-json.ts';

/** Options of {@link createFileAuditSink}. */
export interface FileAuditSinkOptions {
  /** Directory of the log (created if missing). One sink per directory. */
  dir: string;
  /**
   * `fsync`: each record is written and synced on its own before `write` resolves (nothing
   * acknowledged is ever lost, slowest). `{ batchMs, maxBatch }`: group commit: records wait up
   * to `batchMs` (or until `maxBatch` are queued) and are written and synced together; `write`
   * still resolves only after its batch is synced, so a crash loses only records whose `write`
   * had not resolved (at most `maxBatch`, at most `batchMs` old). Default `fsync`.
   */
  durability?: 'fsync' | { batchMs: number; maxBatch: number };
  /** Start a new file past `maxBytes` (default 64 MiB) and/or at each UTC day (default true). */
  rotate?: { maxBytes?: number; daily?: boolean };
  /** Ed25519 private key (KeyObject or PEM) that signs checkpoints. */
  signingKey: KeyObject | string;
  /** Id written in checkpoints (default: derived from the public key, see `auditKeyId`). */
  keyId?: string;
  /**
   * Checkpoint after this many records (a number), or `{ records, ms }` (default 1000 records or
   * 60 s, whichever first; a close always writes one).
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
  /** Current position, for monitoring. */
  stats(): { seq: number; checkpoints: number; file: string | undefined; failed: boolean };
}

type QueueItem =
  | { kind: 'record'; record: AuditRecord; resolve: () => void; reject: (error: unknown) => void }
  | { kind: 'checkpoint'; reason: CheckpointReason; resolve: () => void; reject: (error: unknown) => void };

interface CurrentFile {
  name: string;
  handle: FileHandle;
  size: number;
  day: string;
}

interface TailState {
  seq: number;
  hash: string;
  checkpoints: number;
  checkpointSeq: number;
}

function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

function parseLine(line: string, file: string, index: number): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new GatewayError(
    'CONFIGURATION_ERROR',
    `The audit log line ${index + 1} of ${file} is not a JSON object; run "pixelgate audit verify" before restarting.`,
  );
}

/**
 * The default durable audit sink: canonical JSON lines in local files, hash-chained (each record
 * carries `seq`, `prevHash` and its own SHA-256 `hash`) with Ed25519-signed checkpoints as their
 * own lines, so editing, deleting, inserting or reordering records, or rewriting the log without
 * the key, is detected by `verifyAuditLog`. Writes go through one queue, so concurrent requests
 * never interleave. Files rotate by size and UTC day; the chain continues across files and each
 * new file opens with a checkpoint over the previous one. On start the sink reads the last file:
 * a partial last line (a crash mid-write) is left as evidence, and the sink starts a new file
 * whose first line is a signed recovery checkpoint naming it, then continues the chain from the
 * last complete entry. A write error fails the sink (later writes are refused) rather than risk a
 * gap; a restart recovers. One process per directory.
 */
export function createFileAuditSink(options: FileAuditSinkOptions): FileAuditSink {
  const privateKey = toPrivateKey(options.signingKey);
  const keyId = options.keyId ?? auditKeyId(privateKey);
  const clock = options.clock ?? systemClock;
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync') {
    if (
      !(
        Number.isInteger(durability.batchMs) &&
        durability.batchMs >= 0 &&
        Number.isInteger(durability.maxBatch) &&
        durability.maxBatch >= 1
      )
    ) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        'Audit durability batching needs integer batchMs >= 0 and maxBatch >= 1.',
      );
    }
  }
  const maxBatch = durability === 'fsync' ? 1 : durability.maxBatch;
  const maxBytes = options.rotate?.maxBytes ?? 64 * 1024 * 1024;
  const daily = options.rotate?.daily ?? true;
  const every =
    typeof options.checkpointEvery === 'number'
      ? { records: options.checkpointEvery }
      : (options.checkpointEvery ?? {});
  const checkpointRecords = every.records ?? 1000;
  const checkpointMs = every.ms ?? (typeof options.checkpointEvery === 'number' ? undefined : 60_000);
  if (!Number.isInteger(checkpointRecords) || checkpointRecords < 1) {
    throw new GatewayError('CONFIGURATION_ERROR', 'checkpointEvery records must be a positive integer.');
  }
  const guard = options.guard ?? 'scrub';

  const tail: TailState = { seq: 0, hash: GENESIS_HASH, checkpoints: 0, checkpointSeq: 0 };
  let current: CurrentFile | undefined;
  let ready: Promise<void> | undefined;
  let failed: unknown;
  let closed = false;
  let closing: Promise<void> | undefined;
  let pumping = false;
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  let intervalTimer: ReturnType<typeof setInterval> | undefined;
  const queue: QueueItem[] = [];

  const checkpointLine = (reason: CheckpointReason, recovery?: AuditCheckpoint['recovery']): string => {
    const checkpoint = signCheckpoint(
      {
        type: 'checkpoint',
        n: tail.checkpoints + 1,
        seq: tail.seq,
        hash: tail.hash,
        keyId,
        timestamp: new Date(clock.now()).toISOString(),
        reason,
        ...(recovery ? { recovery } : {}),
      },
      privateKey,
    );
    tail.checkpoints++;
    tail.checkpointSeq = tail.seq;
    return `${canonicalJson(checkpoint)}\n`;
  };

  const writeOut = async (chunk: string): Promise<void> => {
    if (!current || chunk === '') return;
    const bytes = Buffer.from(chunk, 'utf8');
    await current.handle.write(bytes);
    await current.handle.datasync();
    current.size += bytes.length;
  };

  /** Opens a fresh file; its first line is a checkpoint over everything before it. */
  const startFile = async (
    reason: CheckpointReason,
    recovery?: AuditCheckpoint['recovery'],
  ): Promise<string> => {
    if (current) {
      await current.handle.close();
      current = undefined;
    }
    const now = clock.now();
    const base = `audit-${String(tail.seq + 1).padStart(12, '0')}-${fileStamp(now)}`;
    let name = `${base}.jsonl`;
    let handle: FileHandle | undefined;
    for (let suffix = 1; handle === undefined; suffix++) {
      try {
        handle = await open(join(options.dir, name), 'wx', 0o640);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || suffix > 1000) throw error;
        name = `${base}-${suffix}.jsonl`;
      }
    }
    current = { name, handle, size: 0, day: dayOf(now) };
    return tail.seq > 0 || recovery ? checkpointLine(reason, recovery) : '';
  };

  const initialize = async (): Promise<void> => {
    await mkdir(options.dir, { recursive: true });
    const files = sortAuditFiles(await readdir(options.dir));
    let partial: AuditCheckpoint['recovery'] | undefined;
    let lastFile: { name: string; size: number; day: string } | undefined;
    // Walk back from the newest file: the newest complete entry gives the chain head, the newest
    // checkpoint the checkpoint count (every file after the first opens with one).
    let found = false;
    let sawCheckpoint = false;
    for (let index = files.length - 1; index >= 0 && !sawCheckpoint; index--) {
      const name = files[index]!;
      const content = await readFile(join(options.dir, name));
      const end = content.lastIndexOf(0x0a) + 1;
      if (index === files.length - 1) {
        if (end < content.length) partial = { file: name, partialBytes: content.length - end };
        const stamp = /-(\d{4})(\d{2})(\d{2})T/.exec(name);
        lastFile = { name, size: content.length, day: stamp ? `${stamp[1]}-${stamp[2]}-${stamp[3]}` : '' };
      }
      const lines = content.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
      for (let line = lines.length - 1; line >= 0; line--) {
        if (lines[line] === '') continue;
        const entry = parseLine(lines[line]!, name, line);
        if (!found) {
          tail.seq = Number(entry.seq);
          tail.hash = String(entry.hash);
          found = true;
        }
        if (entry.type === 'checkpoint') {
          tail.checkpoints = Number(entry.n);
          tail.checkpointSeq = Number(entry.seq);
          sawCheckpoint = true;
          break;
        }
      }
    }
    if (lastFile && !partial && (!daily || lastFile.day === dayOf(clock.now())) && lastFile.size < maxBytes) {
      const handle = await open(join(options.dir, lastFile.name), 'a', 0o640);
      current = { name: lastFile.name, handle, size: lastFile.size, day: lastFile.day };
      if (tail.seq > tail.checkpointSeq) await writeOut(checkpointLine('recovery'));
    } else if (partial || tail.seq > tail.checkpointSeq) {
      await writeOut(await startFile('recovery', partial));
    }
    if (checkpointMs !== undefined) {
      intervalTimer = setInterval(() => {
        if (!failed && !closed && tail.seq > tail.checkpointSeq)
          enqueue({ kind: 'checkpoint', reason: 'interval', resolve: () => {}, reject: () => {} });
      }, checkpointMs);
      intervalTimer.unref?.();
    }
  };

  const ensureReady = (): Promise<void> => {
    ready ??= initialize().catch((error: unknown) => {
      failed = error;
      throw error;
    });
    return ready;
  };

  const processBatch = async (batch: QueueItem[]): Promise<void> => {
    let chunk = '';
    let pending = 0;
    for (const item of batch) {
      if (item.kind === 'checkpoint') {
        if (tail.seq > tail.checkpointSeq) {
          // A new file opens with a checkpoint of its own.
          const line = current ? checkpointLine(item.reason) : await startFile(item.reason);
          chunk += line;
          pending += Buffer.byteLength(line);
        }
        continue;
      }
      const entry: Record<string, unknown> = { ...item.record, seq: tail.seq + 1, prevHash: tail.hash };
      const hash = hashAuditEntry(entry);
      const line = `${canonicalJson({ ...entry, hash })}\n`;
      const bytes = Buffer.byteLength(line);
      const now = clock.now();
      const needsRotation =
        current !== undefined &&
        ((daily && current.day !== dayOf(now)) ||
          (current.size + pending > 0 && current.size + pending + bytes > maxBytes));
      if (!current || needsRotation) {
        await writeOut(chunk);
        chunk = await startFile('rotation');
        pending = Buffer.byteLength(chunk);
      }
      chunk += line;
      pending += bytes;
      tail.seq++;
      tail.hash = hash;
      if (tail.seq - tail.checkpointSeq >= checkpointRecords) {
        const checkpoint = checkpointLine('count');
        chunk += checkpoint;
        pending += Buffer.byteLength(checkpoint);
      }
    }
    await writeOut(chunk);
  };

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      await ensureReady();
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await processBatch(batch);
          for (const item of batch) item.resolve();
        } catch (error) {
          failed = error;
          for (const item of batch) item.reject(sinkFailed(error));
        }
        if (failed) break;
      }
    } catch (error) {
      failed ??= error;
    } finally {
      pumping = false;
      if (failed) for (const item of queue.splice(0)) item.reject(sinkFailed(failed));
      else if (queue.length > 0) schedule();
    }
  };

  const schedule = (): void => {
    if (pumping) return;
    if (
      durability === 'fsync' ||
      queue.length >= maxBatch ||
      queue.some((item) => item.kind === 'checkpoint')
    ) {
      if (batchTimer) clearTimeout(batchTimer);
      batchTimer = undefined;
      void pump();
      return;
    }
    batchTimer ??= setTimeout(() => {
      batchTimer = undefined;
      void pump();
    }, durability.batchMs);
  };

  const enqueue = (item: QueueItem): void => {
    queue.push(item);
    schedule();
  };

  const refuse = (): GatewayError | undefined => {
    if (closed) return new GatewayError('INTERNAL_ERROR', 'The audit sink is closed.');
    if (failed) return sinkFailed(failed);
    return undefined;
  };

  return {
    open: ensureReady,
    write(record) {
      const refusal = refuse();
      if (refusal) return Promise.reject(refusal);
      let safe = record;
      try {
        if (guard !== 'off') {
          try {
            assertAuditSafe(record); // the fast path: almost every record is clean
          } catch (error) {
            if (guard !== 'scrub') throw error;
            const cleaned = scrubAuditRecord(record);
            safe = {
              ...cleaned.record,
              labels: [...new Set([...cleaned.record.labels, 'audit:scrubbed'])].sort(),
            };
            assertAuditSafe(safe);
          }
        }
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<void>((resolve, reject) =>
        enqueue({ kind: 'record', record: safe, resolve, reject }),
      );
    },
    flush() {
      const refusal = refuse();
      if (refusal) return closed ? Promise.resolve() : Promise.reject(refusal);
      return new Promise<void>((resolve, reject) =>
        enqueue({ kind: 'checkpoint', reason: 'flush', resolve, reject }),
      );
    },
    close() {
      // Refuse new records at once; the ones already queued are written before the final checkpoint.
      closing ??= (async () => {
        closed = true;
        if (intervalTimer) clearInterval(intervalTimer);
        if (!failed) {
          await new Promise<void>((resolve, reject) =>
            enqueue({ kind: 'checkpoint', reason: 'close', resolve, reject }),
          ).catch(() => {});
        }
        if (current) {
          await current.handle.close().catch(() => {});
          current = undefined;
        }
        if (failed) throw sinkFailed(failed);
      })();
      return closing;
    },
    stats() {
      return {
        seq: tail.seq,
        checkpoints: tail.checkpoints,
        file: current?.name,
        failed: failed !== undefined,
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

import type { KeyObject } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import {
  type AuditCheckpoint,
  type CheckpointReason,
  chainAuditLine,
  fileStamp,
  GENESIS_HASH,
  signCheckpoint,
  sortAuditFiles,
} from './audit-chain.ts';
import type { AuditRecord } from './audit-record.ts';
import { canonicalJson } from './canonical-json.ts';

/** What the writer needs to know; the sink resolves and checks these from its options. */
export interface AuditLogWriterOptions {
  dir: string;
  privateKey: KeyObject;
  keyId: string;
  clock: Clock;
  maxBytes: number;
  daily: boolean;
  /** A checkpoint after this many records since the last one. */
  checkpointRecords: number;
  /** Written into checkpoints as the timer's promise (see `AuditCheckpoint.nextWithinMs`). */
  nextWithinMs?: number;
}

/** One entry of a write batch: a record to chain, or a request for a checkpoint. */
export type AuditLogItem =
  | { kind: 'record'; record: AuditRecord }
  | { kind: 'checkpoint'; reason: CheckpointReason };

interface CurrentFile {
  name: string;
  handle: FileHandle;
  size: number;
  day: string;
}

/** The head of the chain and of the checkpoint sequence. */
export interface AuditLogTail {
  seq: number;
  hash: string;
  checkpoints: number;
  checkpointSeq: number;
}

/**
 * Where the platform has `O_DSYNC` (Linux, macOS), files are opened with it: each write returns
 * once its data is on stable storage, as a write followed by `fdatasync` does, in one call to the
 * thread pool instead of two (a lone record's latency is one disk sync, not a sync plus a hop).
 * Elsewhere every write is followed by `datasync`.
 */
const SYNCED_WRITES = typeof fsConstants.O_DSYNC === 'number' && fsConstants.O_DSYNC !== 0;
const DSYNC = SYNCED_WRITES ? fsConstants.O_DSYNC : 0;
/** `a` (append, create), plus O_DSYNC where available. */
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | DSYNC;
/** `wx` (create, fail if it exists), appending, plus O_DSYNC where available. */
const CREATE_FLAGS =
  fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_EXCL | DSYNC;

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
 * The file side of the audit log: chains records into canonical lines, signs checkpoints, rotates
 * files by size and UTC day, and recovers the chain head after a restart or crash. It is not safe
 * for concurrent use: the sink's group commit calls {@link AuditLogWriter.writeBatch} one batch at
 * a time, and each batch ends with one synchronized write (an `O_DSYNC` write, or a write and `fdatasync`).
 */
export class AuditLogWriter {
  readonly tail: AuditLogTail = { seq: 0, hash: GENESIS_HASH, checkpoints: 0, checkpointSeq: 0 };
  /** Batches written (each one write and one sync). */
  commits = 0;
  #current: CurrentFile | undefined;
  readonly #options: AuditLogWriterOptions;

  constructor(options: AuditLogWriterOptions) {
    this.#options = options;
  }

  /** Name of the file being written, if any. */
  get file(): string | undefined {
    return this.#current?.name;
  }

  /** Records written since the last checkpoint. */
  get unsigned(): number {
    return this.tail.seq - this.tail.checkpointSeq;
  }

  /**
   * Reads the chain head from the newest files; a new log gets its opening checkpoint. A clean log is continued in its last file (with a
   * recovery checkpoint if records were left unsigned); a partial last line (a crash mid-write) is
   * left as evidence and a new file opens with a signed recovery checkpoint naming it.
   */
  async recover(): Promise<void> {
    const { dir, daily, maxBytes, clock } = this.#options;
    await mkdir(dir, { recursive: true });
    const { partial, lastFile } = await this.#readTail(sortAuditFiles(await readdir(dir)));
    const reusable =
      lastFile && !partial && (!daily || lastFile.day === dayOf(clock.now())) && lastFile.size < maxBytes;
    if (lastFile && reusable) {
      const handle = await open(join(dir, lastFile.name), APPEND_FLAGS, 0o640);
      this.#current = { name: lastFile.name, handle, size: lastFile.size, day: lastFile.day };
      if (this.unsigned > 0) await this.#writeOut(this.#checkpointLine('recovery'));
    } else if (partial || this.unsigned > 0) {
      await this.#writeOut(await this.#startFile('recovery', partial));
    } else if (!lastFile) {
      // A new log opens with a checkpoint over nothing (seq 0): from its first line it names the
      // key that signs it and the checkpoint interval, so its very first records can be verified
      // as a live tail.
      await this.#writeOut(await this.#startFile('open'));
    }
  }

  /** Walks back from the newest file to the newest complete entry and the newest checkpoint. */
  async #readTail(files: string[]): Promise<{
    partial: AuditCheckpoint['recovery'] | undefined;
    lastFile: { name: string; size: number; day: string } | undefined;
  }> {
    let partial: AuditCheckpoint['recovery'] | undefined;
    let lastFile: { name: string; size: number; day: string } | undefined;
    let found = false;
    for (let index = files.length - 1; index >= 0; index--) {
      const name = files[index]!;
      const content = await readFile(join(this.#options.dir, name));
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
          this.tail.seq = Number(entry.seq);
          this.tail.hash = String(entry.hash);
          found = true;
        }
        if (entry.type === 'checkpoint') {
          this.tail.checkpoints = Number(entry.n);
          this.tail.checkpointSeq = Number(entry.seq);
          return { partial, lastFile };
        }
      }
    }
    return { partial, lastFile };
  }

  /**
   * Chains and writes a batch with one write and one sync. Records get consecutive `seq`s; a
   * checkpoint is added every `checkpointRecords` records and where a checkpoint was asked for
   * (if anything is unsigned); files rotate between records.
   */
  async writeBatch(items: ReadonlyArray<AuditLogItem>): Promise<void> {
    let chunk = '';
    let pending = 0;
    const append = (line: string, bytes = Buffer.byteLength(line)): void => {
      chunk += line;
      pending += bytes;
    };
    for (const item of items) {
      if (item.kind === 'checkpoint') {
        // A new file opens with a checkpoint of its own.
        if (this.unsigned > 0)
          append(this.#current ? this.#checkpointLine(item.reason) : await this.#startFile(item.reason));
        continue;
      }
      const { line, hash } = chainAuditLine(item.record, this.tail.seq + 1, this.tail.hash);
      const text = `${line}\n`;
      const bytes = Buffer.byteLength(text);
      if (!this.#current || this.#needsRotation(pending, bytes)) {
        await this.#writeOut(chunk);
        chunk = '';
        pending = 0;
        append(await this.#startFile('rotation'));
      }
      append(text, bytes);
      this.tail.seq++;
      this.tail.hash = hash;
      if (this.unsigned >= this.#options.checkpointRecords) append(this.#checkpointLine('count'));
    }
    await this.#writeOut(chunk);
    this.commits++;
  }

  /** Closes the current file (the caller writes the closing checkpoint first). */
  async close(): Promise<void> {
    if (!this.#current) return;
    const { handle } = this.#current;
    this.#current = undefined;
    await handle.close();
  }

  #needsRotation(pending: number, bytes: number): boolean {
    const current = this.#current!;
    const size = current.size + pending;
    return (
      (this.#options.daily && current.day !== dayOf(this.#options.clock.now())) ||
      (size > 0 && size + bytes > this.#options.maxBytes)
    );
  }

  #checkpointLine(reason: CheckpointReason, recovery?: AuditCheckpoint['recovery']): string {
    const { privateKey, keyId, clock, nextWithinMs } = this.#options;
    const checkpoint = signCheckpoint(
      {
        type: 'checkpoint',
        n: this.tail.checkpoints + 1,
        seq: this.tail.seq,
        hash: this.tail.hash,
        keyId,
        timestamp: new Date(clock.now()).toISOString(),
        reason,
        ...(nextWithinMs === undefined ? {} : { nextWithinMs }),
        ...(recovery ? { recovery } : {}),
      },
      privateKey,
    );
    this.tail.checkpoints++;
    this.tail.checkpointSeq = this.tail.seq;
    return `${canonicalJson(checkpoint)}\n`;
  }

  async #writeOut(chunk: string): Promise<void> {
    if (!this.#current || chunk === '') return;
    const bytes = Buffer.from(chunk, 'utf8');
    await this.#current.handle.write(bytes);
    if (!SYNCED_WRITES) await this.#current.handle.datasync();
    this.#current.size += bytes.length;
  }

  /** Opens a fresh file; returns its first line, a checkpoint over everything before it. */
  async #startFile(reason: CheckpointReason, recovery?: AuditCheckpoint['recovery']): Promise<string> {
    await this.close();
    const now = this.#options.clock.now();
    const base = `audit-${String(this.tail.seq + 1).padStart(12, '0')}-${fileStamp(now)}`;
    let name = `${base}.jsonl`;
    let handle: FileHandle | undefined;
    for (let suffix = 1; handle === undefined; suffix++) {
      try {
        handle = await open(join(this.#options.dir, name), CREATE_FLAGS, 0o640);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || suffix > 1000) throw error;
        name = `${base}-${suffix}.jsonl`;
      }
    }
    this.#current = { name, handle, size: 0, day: dayOf(now) };
    return this.tail.seq > 0 || recovery || reason === 'open' ? this.#checkpointLine(reason, recovery) : '';
  }
}

import type { KeyObject } from 'node:crypto';
import {
  type AuditCheckpoint,
  auditKeyId,
  GENESIS_HASH,
  hashAuditEntry,
  toPublicKey,
  verifyCheckpointSignature,
} from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { canonicalJson } from '../canonical-json.ts';

/** Public keys that may have signed checkpoints: PEM texts or KeyObjects, optionally keyed by id. */
export type AuditPublicKeys =
  | ReadonlyArray<KeyObject | string>
  | Readonly<Record<string, KeyObject | string>>;

/** Where and why verification failed. */
export interface AuditBreak {
  file: string;
  /** 1-based line in the file; 0 when the log as a whole is at fault (a missing tail, no checkpoint). */
  line: number;
  /** Sequence number of the record concerned, when known. */
  seq?: number;
  reason: string;
}

/** Trusted keys by id (each key also under its derived id). */
export function keyMap(keys: AuditPublicKeys): Map<string, KeyObject> {
  const map = new Map<string, KeyObject>();
  if (Array.isArray(keys)) {
    for (const key of keys as ReadonlyArray<KeyObject | string>) map.set(auditKeyId(key), toPublicKey(key));
  } else {
    for (const [id, key] of Object.entries(keys as Record<string, KeyObject | string>)) {
      const object = toPublicKey(key);
      map.set(id, object);
      map.set(auditKeyId(object), object);
    }
  }
  return map;
}

/** Where a chain starts: the genesis of a log, or the middle of one (an evidence bundle). */
export interface ChainStart {
  /** `seq` of the record before the first one checked (0 for a whole log). */
  seq: number;
  /** `hash` of that record; `undefined` trusts the first record's `prevHash` (a bundle's first link). */
  hash: string | undefined;
  /** Number of the checkpoint before the first one checked; `undefined` takes the first as it is. */
  checkpointN: number | undefined;
}

/**
 * Checks log lines one at a time, in order: canonical JSON, records numbered without gaps, each
 * `prevHash` equal to the previous `hash`, each `hash` recomputed, each record valid against the
 * record schema; checkpoints numbered without gaps, signed by a trusted key and matching the chain
 * head at their position. It keeps what a report needs (counts, the last checkpoint, the tail).
 * Both the log verifier and the evidence-bundle verifier feed it.
 */
export class ChainVerifier {
  records = 0;
  checkpoints = 0;
  lastSeq: number;
  lastHash: string;
  checkpointN: number | undefined;
  checkpointSeq: number;
  /** The last valid checkpoint. */
  lastCheckpoint: AuditCheckpoint | undefined;
  /** The first record after the last checkpoint. */
  firstUnsigned: { seq: number; timestamp: string | undefined } | undefined;
  readonly keyIds = new Set<string>();
  readonly #keys: Map<string, KeyObject>;
  #prevHash: string | undefined;

  constructor(
    keys: Map<string, KeyObject>,
    start: ChainStart = { seq: 0, hash: GENESIS_HASH, checkpointN: 0 },
  ) {
    this.#keys = keys;
    this.lastSeq = start.seq;
    this.lastHash = start.hash ?? '';
    this.#prevHash = start.hash;
    this.checkpointN = start.checkpointN;
    this.checkpointSeq = start.seq;
  }

  /** Records after the last checkpoint. */
  get unsigned(): number {
    return this.lastSeq - this.checkpointSeq;
  }

  /** Parses and checks one line; returns the entry, or the break it shows. */
  line(
    text: string,
    file: string,
    line: number,
  ): { entry: Record<string, unknown>; checkpoint?: AuditCheckpoint } | AuditBreak {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { file, line, reason: 'line is not valid JSON', seq: this.lastSeq + 1 };
    }
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      return { file, line, reason: 'line is not a JSON object' };
    if (canonicalJson(entry) !== text)
      return { file, line, reason: 'line is not in canonical form (edited)', ...seqOf(entry) };
    if (entry.type === 'checkpoint') {
      const checkpoint = entry as unknown as AuditCheckpoint;
      const problem = this.#checkpoint(checkpoint);
      return problem ? { file, line, reason: problem, seq: checkpoint.seq } : { entry, checkpoint };
    }
    const problem = this.#record(entry);
    return problem ? { file, line, reason: problem, ...seqOf(entry) } : { entry };
  }

  #checkpoint(checkpoint: AuditCheckpoint): string | undefined {
    const key = this.#keys.get(String(checkpoint.keyId));
    if (!key) return `checkpoint signed by unknown key "${String(checkpoint.keyId)}"`;
    if (!verifyCheckpointSignature(checkpoint, key)) return 'checkpoint signature is invalid';
    if (this.checkpointN !== undefined && checkpoint.n !== this.checkpointN + 1) {
      return `checkpoint ${checkpoint.n} follows checkpoint ${this.checkpointN} (a checkpoint is missing or out of order)`;
    }
    const head = this.#prevHash === undefined && this.records === 0;
    if (checkpoint.seq !== this.lastSeq || (!head && checkpoint.hash !== this.lastHash)) {
      return 'signed checkpoint does not match the chain (records before it were changed)';
    }
    if (head) {
      // A bundle may open with the checkpoint just before its first record.
      this.#prevHash = checkpoint.hash;
      this.lastHash = checkpoint.hash;
    }
    this.checkpointN = checkpoint.n;
    this.checkpointSeq = checkpoint.seq;
    this.lastCheckpoint = checkpoint;
    this.firstUnsigned = undefined;
    this.checkpoints++;
    this.keyIds.add(String(checkpoint.keyId));
    return undefined;
  }

  #record(entry: Record<string, unknown>): string | undefined {
    const seq = entry.seq;
    if (typeof seq !== 'number' || seq !== this.lastSeq + 1) {
      return `record seq ${String(seq)} where ${this.lastSeq + 1} was expected (a record is missing, inserted or out of order)`;
    }
    // A chain checked from its middle takes its first link on trust; a checkpoint proves it later.
    if (this.#prevHash === undefined) this.lastHash = String(entry.prevHash);
    if (entry.prevHash !== this.lastHash) return 'prevHash does not match the previous record (chain broken)';
    if (entry.hash !== hashAuditEntry(entry)) return 'hash does not match the record (edited)';
    const { seq: _seq, prevHash: _prev, hash: _hash, ...record } = entry;
    if (!auditRecordSchema.safeParse(record).success) return 'record does not match the audit record schema';
    this.#prevHash = entry.hash as string;
    this.records++;
    this.lastSeq = seq;
    this.lastHash = entry.hash as string;
    this.firstUnsigned ??= {
      seq,
      timestamp: typeof entry.timestamp === 'string' ? entry.timestamp : undefined,
    };
    return undefined;
  }
}

function seqOf(entry: Record<string, unknown>): { seq?: number } {
  return typeof entry.seq === 'number' ? { seq: entry.seq } : {};
}

/** True when a value returned by {@link ChainVerifier.line} is a break. */
export function isAuditBreak(value: object): value is AuditBreak {
  return 'reason' in value;
}

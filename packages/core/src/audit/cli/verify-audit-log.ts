import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../../errors/gateway-error.ts';
import {
  type AuditCheckpoint,
  auditKeyId,
  GENESIS_HASH,
  hashAuditEntry,
  sortAuditFiles,
  toPublicKey,
  verifyCheckpointSignature,
} from '../audit-chain.ts';
import { auditRecordSchema } from '../audit-record.ts';
import { canonicalJson } from '../canonical-json.ts';

/** Public keys that may have signed checkpoints: PEM texts or KeyObjects, optionally keyed by id. */
export type AuditPublicKeys =
  | ReadonlyArray<KeyObject | string>
  | Readonly<Record<string, KeyObject | string>>;

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** Keys whose checkpoints are trusted. */
  publicKeys: AuditPublicKeys;
  /**
   * Accept records after the last checkpoint (a live log between checkpoints). Default false:
   * every record must be covered by a signed checkpoint.
   */
  allowUnsignedTail?: boolean;
  /** The log must reach at least this sequence number (an externally kept head), else truncation. */
  expectSeq?: number;
  /** Called for each record in order (the evidence export reads records this way). */
  onRecord?: (record: Record<string, unknown>, where: { file: string; line: number }) => void;
}

/** Where and why verification failed. */
export interface AuditBreak {
  file: string;
  /** 1-based line in the file; 0 when the log as a whole is at fault (a missing tail, no checkpoint). */
  line: number;
  /** Sequence number of the record concerned, when known. */
  seq?: number;
  reason: string;
}

/** The verdict on a log. */
export interface AuditVerification {
  ok: boolean;
  /** Records read and checked before any break. */
  records: number;
  /** Checkpoints with a valid signature. */
  checkpoints: number;
  files: number;
  /** Sequence number and hash of the last good record. */
  lastSeq: number;
  lastHash: string;
  /** Key ids that signed the valid checkpoints. */
  keyIds: string[];
  /** Partial lines left by crashes and acknowledged by a signed recovery checkpoint. */
  recoveries: Array<{ file: string; partialBytes: number }>;
  /** Records after the last checkpoint (only non-zero with `allowUnsignedTail`). */
  unsignedTail: number;
  firstBroken?: AuditBreak;
}

function keyMap(keys: AuditPublicKeys): Map<string, KeyObject> {
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

/**
 * Checks a file audit log end to end: files in order, every line canonical JSON, records numbered
 * without gaps, each `prevHash` equal to the previous `hash`, each `hash` recomputed, each record
 * valid against the record schema, checkpoints numbered without gaps, signed by a trusted key and
 * matching the chain head at their position, partial lines only where a signed recovery
 * checkpoint acknowledges them, and (unless `allowUnsignedTail`) no record after the last
 * checkpoint. So an edited, deleted, inserted or reordered record, a truncated file and a log
 * rewritten without the signing key are all reported, with the first broken place.
 */
export async function verifyAuditLog(
  dir: string,
  options: VerifyAuditLogOptions,
): Promise<AuditVerification> {
  const keys = keyMap(options.publicKeys);
  let names: string[];
  try {
    names = sortAuditFiles(await readdir(dir));
  } catch (error) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `The audit log directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      {
        param: 'dir',
        cause: error,
      },
    );
  }
  const result: AuditVerification = {
    ok: false,
    records: 0,
    checkpoints: 0,
    files: names.length,
    lastSeq: 0,
    lastHash: GENESIS_HASH,
    keyIds: [],
    recoveries: [],
    unsignedTail: 0,
  };
  const keyIds = new Set<string>();
  let checkpointN = 0;
  let checkpointSeq = 0;
  let pendingPartial: { file: string; partialBytes: number; line: number } | undefined;
  const broken = (file: string, line: number, reason: string, seq?: number): AuditVerification => {
    result.firstBroken = { file, line, reason, ...(seq === undefined ? {} : { seq }) };
    result.keyIds = [...keyIds].sort();
    return result;
  };

  for (let fileIndex = 0; fileIndex < names.length; fileIndex++) {
    const file = names[fileIndex]!;
    const content = await readFile(join(dir, file));
    const end = content.lastIndexOf(0x0a) + 1;
    const lines = content.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
    if (fileIndex > 0 && lines.length > 0 && result.lastSeq > 0) {
      // A file after the first opens with a checkpoint over everything before it.
      if (!lines[0]!.startsWith('{') || !lines[0]!.includes('"type":"checkpoint"')) {
        return broken(file, 1, 'file does not open with a checkpoint (a file is missing or was replaced)');
      }
    }
    for (let index = 0; index < lines.length; index++) {
      const lineNumber = index + 1;
      const text = lines[index]!;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return broken(file, lineNumber, 'line is not valid JSON', result.lastSeq + 1);
      }
      if (!entry || typeof entry !== 'object' || Array.isArray(entry))
        return broken(file, lineNumber, 'line is not a JSON object');
      if (canonicalJson(entry) !== text)
        return broken(file, lineNumber, 'line is not in canonical form (edited)', entry.seq as number);

      if (entry.type === 'checkpoint') {
        const checkpoint = entry as unknown as AuditCheckpoint;
        const key = keys.get(String(checkpoint.keyId));
        if (!key)
          return broken(
            file,
            lineNumber,
            `checkpoint signed by unknown key "${String(checkpoint.keyId)}"`,
            checkpoint.seq,
          );
        if (!verifyCheckpointSignature(checkpoint, key))
          return broken(file, lineNumber, 'checkpoint signature is invalid', checkpoint.seq);
        if (checkpoint.n !== checkpointN + 1) {
          return broken(
            file,
            lineNumber,
            `checkpoint ${checkpoint.n} follows checkpoint ${checkpointN} (a checkpoint is missing or out of order)`,
            checkpoint.seq,
          );
        }
        if (checkpoint.seq !== result.lastSeq || checkpoint.hash !== result.lastHash) {
          return broken(
            file,
            lineNumber,
            `signed checkpoint does not match the chain (records before it were changed)`,
            checkpoint.seq,
          );
        }
        if (pendingPartial) {
          if (
            checkpoint.recovery?.file !== pendingPartial.file ||
            checkpoint.recovery.partialBytes !== pendingPartial.partialBytes
          ) {
            return broken(
              pendingPartial.file,
              pendingPartial.line,
              'partial last line (crash or truncation) not acknowledged by a recovery checkpoint',
            );
          }
          result.recoveries.push({ file: pendingPartial.file, partialBytes: pendingPartial.partialBytes });
          pendingPartial = undefined;
        } else if (checkpoint.recovery && checkpoint.recovery.partialBytes > 0) {
          return broken(
            file,
            lineNumber,
            `recovery checkpoint names a partial line in ${checkpoint.recovery.file} that is not there`,
            checkpoint.seq,
          );
        }
        checkpointN = checkpoint.n;
        checkpointSeq = checkpoint.seq;
        result.checkpoints++;
        keyIds.add(String(checkpoint.keyId));
        continue;
      }

      const seq = entry.seq;
      if (pendingPartial) {
        return broken(
          pendingPartial.file,
          pendingPartial.line,
          'partial last line (crash or truncation) not acknowledged by a recovery checkpoint',
        );
      }
      if (typeof seq !== 'number' || seq !== result.lastSeq + 1) {
        return broken(
          file,
          lineNumber,
          `record seq ${String(seq)} where ${result.lastSeq + 1} was expected (a record is missing, inserted or out of order)`,
          typeof seq === 'number' ? seq : undefined,
        );
      }
      if (entry.prevHash !== result.lastHash)
        return broken(file, lineNumber, 'prevHash does not match the previous record (chain broken)', seq);
      if (entry.hash !== hashAuditEntry(entry))
        return broken(file, lineNumber, 'hash does not match the record (edited)', seq);
      const { seq: _seq, prevHash: _prev, hash: _hash, ...record } = entry;
      if (!auditRecordSchema.safeParse(record).success)
        return broken(file, lineNumber, 'record does not match the audit record schema', seq);
      options.onRecord?.(entry, { file, line: lineNumber });
      result.records++;
      result.lastSeq = seq;
      result.lastHash = entry.hash as string;
    }
    if (end < content.length) {
      pendingPartial = { file, partialBytes: content.length - end, line: lines.length + 1 };
    }
  }
  if (pendingPartial) {
    return broken(
      pendingPartial.file,
      pendingPartial.line,
      'partial last line (crash or truncation); restart the sink to acknowledge it',
      result.lastSeq + 1,
    );
  }
  const lastFile = names[names.length - 1] ?? '';
  if (options.expectSeq !== undefined && result.lastSeq < options.expectSeq) {
    return broken(
      lastFile,
      0,
      `log ends at seq ${result.lastSeq} but seq ${options.expectSeq} was expected (truncated)`,
      result.lastSeq,
    );
  }
  result.unsignedTail = result.lastSeq - checkpointSeq;
  if (result.records > 0 && result.checkpoints === 0 && !options.allowUnsignedTail) {
    return broken(
      lastFile,
      0,
      'no signed checkpoint in the log (rewritten without the key, or never checkpointed)',
    );
  }
  if (result.unsignedTail > 0 && !options.allowUnsignedTail) {
    return broken(
      lastFile,
      0,
      `${result.unsignedTail} record(s) after the last signed checkpoint (truncated, rewritten, or the sink did not close)`,
      checkpointSeq + 1,
    );
  }
  result.ok = true;
  result.keyIds = [...keyIds].sort();
  return result;
}

/**
 * Reads PEM public keys from files (the CLI's `--public-key <file>` options), so a verifier never
 * needs the private key. A file may hold several PEM blocks.
 *
 * @throws GatewayError VALIDATION_ERROR naming the file when it holds no public key.
 */
export async function readPublicKeyFiles(paths: ReadonlyArray<string>): Promise<string[]> {
  const keys: string[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8');
    const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
    if (blocks.length === 0) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        `${path} holds no PEM public key (-----BEGIN PUBLIC KEY-----).`,
        { param: 'public-key' },
      );
    }
    keys.push(...blocks.map((block) => `${block}\n`));
  }
  return keys;
}

/**
 * The human-readable report of `pixelgate audit verify`: one line saying whether the log is intact,
 * then the first broken place if any. The CLI exits 0 when `result.ok`, 1 otherwise.
 */
export function formatAuditVerification(result: AuditVerification): string {
  const summary = `${result.records} records, ${result.checkpoints} signed checkpoints, ${result.files} files`;
  const lines = [
    result.ok
      ? `OK: ${summary}; chain intact up to seq ${result.lastSeq}.`
      : `BROKEN: ${summary} verified before the break.`,
  ];
  if (result.firstBroken) {
    const where = `${result.firstBroken.file}${result.firstBroken.line > 0 ? `:${result.firstBroken.line}` : ''}`;
    const seq = result.firstBroken.seq === undefined ? '' : ` (seq ${result.firstBroken.seq})`;
    lines.push(`First broken link: ${where}${seq}: ${result.firstBroken.reason}.`);
  }
  for (const recovery of result.recoveries) {
    lines.push(
      `Recovered crash: ${recovery.file} ends with a partial line of ${recovery.partialBytes} bytes (acknowledged by a signed checkpoint).`,
    );
  }
  if (result.unsignedTail > 0)
    lines.push(`${result.unsignedTail} record(s) after the last checkpoint (accepted: live log).`);
  if (result.keyIds.length > 0) lines.push(`Signed by: ${result.keyIds.join(', ')}.`);
  return lines.join('\n');
}

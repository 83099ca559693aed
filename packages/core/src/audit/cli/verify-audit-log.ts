import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../../errors/gateway-error.ts';
import { GENESIS_HASH, sortAuditFiles } from '../audit-chain.ts';
import {
  type AuditBreak,
  type AuditPublicKeys,
  ChainVerifier,
  isAuditBreak,
  keyMap,
} from './chain-verifier.ts';

export type { AuditBreak, AuditPublicKeys } from './chain-verifier.ts';

/**
 * How long after a record's timestamp its checkpoint may still be pending on a live log, on top of
 * the writer's own promise (`nextWithinMs`): a record is stamped when its request starts and
 * written when it ends, so this allows for slow requests.
 */
export const DEFAULT_TAIL_GRACE_MS = 5 * 60_000;

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** Keys whose checkpoints are trusted. */
  publicKeys: AuditPublicKeys;
  /**
   * Accept any records after the last checkpoint. Default false: a tail is accepted only while it
   * is live, that is while the writer's checkpoint timer (`nextWithinMs` in its last checkpoint,
   * plus `tailGraceMs`) has not run out since the first unsigned record; an older tail means the
   * writer stopped without closing, or records were appended, and fails verification.
   */
  allowUnsignedTail?: boolean;
  /** See {@link DEFAULT_TAIL_GRACE_MS}. */
  tailGraceMs?: number;
  /** The log must reach at least this sequence number (an externally kept head), else truncation. */
  expectSeq?: number;
  /** Called for each record in order (the evidence export reads records this way). */
  onRecord?: (record: Record<string, unknown>, where: { file: string; line: number }) => void;
  /** Called for each valid checkpoint line in order. */
  onCheckpoint?: (line: string, where: { file: string; line: number }) => void;
  /** The time a live tail is judged against (default `Date.now`). */
  now?: () => number;
}

/** The records after the last signed checkpoint. */
export interface AuditTail {
  records: number;
  /** `seq` and `timestamp` of the first of them. */
  firstSeq: number;
  firstTimestamp?: string;
  /** True while the writer's checkpoint timer can still cover them (see `allowUnsignedTail`). */
  live: boolean;
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
  /** The last signed checkpoint: every record up to `seq` is proven by a signature made at `at`. */
  signedThrough?: { seq: number; at: string };
  /** Key ids that signed the valid checkpoints. */
  keyIds: string[];
  /** Partial lines left by crashes and acknowledged by a signed recovery checkpoint. */
  recoveries: Array<{ file: string; partialBytes: number }>;
  /** Records after the last checkpoint (chained, not yet signed). */
  unsignedTail: number;
  /** Details of that tail, when there is one. */
  tail?: AuditTail;
  firstBroken?: AuditBreak;
}

async function listAuditFiles(dir: string): Promise<string[]> {
  try {
    return sortAuditFiles(await readdir(dir));
  } catch (error) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `The audit log directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      { param: 'dir', cause: error },
    );
  }
}

/** Checks the lines of one file; a partial last line is returned for a later recovery checkpoint. */
async function verifyFile(
  dir: string,
  file: string,
  opensWithCheckpoint: boolean,
  chain: ChainVerifier,
  state: {
    pendingPartial?: { file: string; partialBytes: number; line: number };
    recoveries: AuditVerification['recoveries'];
  },
  options: VerifyAuditLogOptions,
): Promise<AuditBreak | undefined> {
  const content = await readFile(join(dir, file));
  const end = content.lastIndexOf(0x0a) + 1;
  const lines = content.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
  if (opensWithCheckpoint && lines.length > 0 && !lines[0]!.includes('"type":"checkpoint"')) {
    return {
      file,
      line: 1,
      reason: 'file does not open with a checkpoint (a file is missing or was replaced)',
    };
  }
  for (let index = 0; index < lines.length; index++) {
    const where = { file, line: index + 1 };
    const checked = chain.line(lines[index]!, file, index + 1);
    if (isAuditBreak(checked)) return checked;
    const partial = state.pendingPartial;
    if (checked.checkpoint) {
      const recovery = checked.checkpoint.recovery;
      if (partial) {
        if (recovery?.file !== partial.file || recovery.partialBytes !== partial.partialBytes)
          return unacknowledged(partial);
        state.recoveries.push({ file: partial.file, partialBytes: partial.partialBytes });
        state.pendingPartial = undefined;
      } else if (recovery && recovery.partialBytes > 0) {
        return {
          ...where,
          seq: checked.checkpoint.seq,
          reason: `recovery checkpoint names a partial line in ${recovery.file} that is not there`,
        };
      }
      options.onCheckpoint?.(lines[index]!, where);
      continue;
    }
    if (partial) return unacknowledged(partial);
    options.onRecord?.(checked.entry, where);
  }
  if (end < content.length)
    state.pendingPartial = { file, partialBytes: content.length - end, line: lines.length + 1 };
  return undefined;
}

function unacknowledged(partial: { file: string; line: number }): AuditBreak {
  return {
    file: partial.file,
    line: partial.line,
    reason: 'partial last line (crash or truncation) not acknowledged by a recovery checkpoint',
  };
}

/** The tail after the last checkpoint, and whether the writer's timer still covers it. */
function describeTail(chain: ChainVerifier, options: VerifyAuditLogOptions): AuditTail | undefined {
  if (chain.unsigned === 0 || !chain.firstUnsigned) return undefined;
  const { seq, timestamp } = chain.firstUnsigned;
  const promise = chain.lastCheckpoint?.nextWithinMs;
  const stamped = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  const now = (options.now ?? Date.now)();
  const live =
    typeof promise === 'number' &&
    Number.isFinite(stamped) &&
    now - stamped <= promise + (options.tailGraceMs ?? DEFAULT_TAIL_GRACE_MS);
  return {
    records: chain.unsigned,
    firstSeq: seq,
    ...(timestamp ? { firstTimestamp: timestamp } : {}),
    live,
  };
}

/** The whole-log checks after the last line: partial lines, truncation, emptiness, the tail. */
function finalBreak(
  chain: ChainVerifier,
  result: AuditVerification,
  lastFile: string,
  pendingPartial: { file: string; line: number } | undefined,
  options: VerifyAuditLogOptions,
): AuditBreak | undefined {
  if (pendingPartial) {
    return {
      ...unacknowledged(pendingPartial),
      reason: 'partial last line (crash or truncation); restart the sink to acknowledge it',
      seq: chain.lastSeq + 1,
    };
  }
  if (result.files === 0)
    return {
      file: '',
      line: 0,
      reason: 'no audit log files (audit-*.jsonl) in the directory: nothing to verify',
    };
  if (chain.records === 0) return { file: lastFile, line: 0, reason: 'the log holds no records' };
  if (options.expectSeq !== undefined && chain.lastSeq < options.expectSeq) {
    return {
      file: lastFile,
      line: 0,
      seq: chain.lastSeq,
      reason: `log ends at seq ${chain.lastSeq} but seq ${options.expectSeq} was expected (truncated)`,
    };
  }
  if (options.allowUnsignedTail || !result.tail || result.tail.live) return undefined;
  if (chain.checkpoints === 0)
    return {
      file: lastFile,
      line: 0,
      reason: 'no signed checkpoint in the log (rewritten without the key, or never checkpointed)',
    };
  const promise = chain.lastCheckpoint?.nextWithinMs;
  return {
    file: lastFile,
    line: 0,
    seq: result.tail.firstSeq,
    reason: `${result.tail.records} record(s) after the last signed checkpoint, ${promise === undefined ? 'from a writer without a checkpoint timer' : `older than the writer's checkpoint interval (${promise} ms)`} (the sink stopped without closing, or records were appended or the log truncated); --allow-unsigned-tail accepts them as chained but unsigned`,
  };
}

/**
 * Checks a file audit log end to end (see {@link ChainVerifier} for the per-line checks): files in
 * order, each file after the first opening with a checkpoint, partial lines only where a signed
 * recovery checkpoint acknowledges them, at least one record, and no records after the last
 * checkpoint beyond a live tail (see `allowUnsignedTail`). So an edited, deleted, inserted or
 * reordered record, a truncated file, a log rewritten without the signing key and an empty or
 * missing log are all reported, with the first broken place.
 */
export async function verifyAuditLog(
  dir: string,
  options: VerifyAuditLogOptions,
): Promise<AuditVerification> {
  const keys = keyMap(options.publicKeys);
  const names = await listAuditFiles(dir);
  const chain = new ChainVerifier(keys);
  const state: Parameters<typeof verifyFile>[4] = { recoveries: [] };
  const result: AuditVerification = {
    ok: false,
    records: 0,
    checkpoints: 0,
    files: names.length,
    lastSeq: 0,
    lastHash: GENESIS_HASH,
    keyIds: [],
    recoveries: state.recoveries,
    unsignedTail: 0,
  };
  let broken: AuditBreak | undefined;
  for (let index = 0; index < names.length && !broken; index++) {
    broken = await verifyFile(dir, names[index]!, index > 0 && chain.lastSeq > 0, chain, state, options);
  }
  Object.assign(result, {
    records: chain.records,
    checkpoints: chain.checkpoints,
    lastSeq: chain.lastSeq,
    lastHash: chain.lastHash,
    keyIds: [...chain.keyIds].sort(),
    unsignedTail: chain.unsigned,
  });
  if (chain.lastCheckpoint)
    result.signedThrough = { seq: chain.lastCheckpoint.seq, at: chain.lastCheckpoint.timestamp };
  const tail = describeTail(chain, options);
  if (tail) result.tail = tail;
  broken ??= finalBreak(chain, result, names[names.length - 1] ?? '', state.pendingPartial, options);
  if (broken) result.firstBroken = broken;
  else result.ok = true;
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
 * What a verification proves, in one sentence: "verified through record N, signed at T; K later
 * records chained but not yet checkpointed".
 */
export function describeSignedExtent(result: AuditVerification): string {
  const through = result.signedThrough;
  const signed = !through
    ? 'no record is covered by a signed checkpoint'
    : through.seq === 0
      ? `log opened by a checkpoint signed at ${through.at}`
      : `verified through record ${through.seq}, signed at ${through.at}`;
  if (!result.tail) return signed;
  const state = result.tail.live ? 'not yet checkpointed' : 'never checkpointed';
  return `${signed}; ${result.tail.records} later record(s) chained but ${state}`;
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
  if (result.tail) lines.push(`${describeSignedExtent(result)}.`);
  if (result.keyIds.length > 0) lines.push(`Signed by: ${result.keyIds.join(', ')}.`);
  return lines.join('\n');
}

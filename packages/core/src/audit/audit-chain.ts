import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  hash as oneShotHash,
  sign,
  verify,
} from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.ts';
import type { AuditRecord } from './audit-record.ts';
import { canonicalJson, canonicalMembersAround } from './canonical-json.ts';

/** The `prevHash` of the first record of a log. */
export const GENESIS_HASH = '0'.repeat(64);

/** Chain fields a chaining sink adds to each record. */
export interface AuditChainFields {
  /** Position in the log, from 1, without gaps. */
  seq: number;
  /** `hash` of the previous record ({@link GENESIS_HASH} for the first). */
  prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of the record with `seq` and `prevHash`, without `hash`. */
  hash: string;
}

/** A record as a chaining sink writes it. */
export type ChainedAuditRecord = AuditRecord & AuditChainFields;

/** Why a checkpoint was written. */
export type CheckpointReason = 'open' | 'count' | 'interval' | 'rotation' | 'close' | 'recovery' | 'flush';

/**
 * A signed statement "the log held `seq` records ending in `hash`", written as its own line.
 * Without the private key nobody can make one, so a rewritten log cannot carry valid checkpoints.
 */
export interface AuditCheckpoint {
  type: 'checkpoint';
  /** Checkpoint number, from 1, without gaps: a deleted checkpoint is noticed. */
  n: number;
  seq: number;
  hash: string;
  keyId: string;
  timestamp: string;
  reason: CheckpointReason;
  /**
   * The writer's promise that every record is covered by a checkpoint within this many
   * milliseconds of being written (its checkpoint timer). A verifier uses it to tell a live log's
   * unsigned tail from one a stopped writer left behind.
   */
  nextWithinMs?: number;
  /** Set on the checkpoint a restarted sink writes after a crash that left a partial line. */
  recovery?: { file: string; partialBytes: number };
  /** Ed25519 signature (base64) over the canonical JSON of every other field. */
  signature: string;
}

/** SHA-256 (hex) of a text's UTF-8 bytes. */
function sha256Hex(text: string): string {
  return oneShotHash('sha256', text, 'hex');
}

/** Hash of a record (with its `seq` and `prevHash`, without `hash`). */
export function hashAuditEntry(entry: Omit<ChainedAuditRecord, 'hash'> | Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = entry as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * A record's log line and hash at position `seq` after `prevHash`: the same bytes as
 * `canonicalJson({ ...record, seq, prevHash, hash })` with `hash = hashAuditEntry(...)`, but each
 * member is serialized once (the hash covers every member but `hash`, which is then slotted into
 * its sorted place).
 */
export function chainAuditLine(
  record: AuditRecord | Record<string, unknown>,
  seq: number,
  prevHash: string,
): { line: string; hash: string } {
  const { before, after } = canonicalMembersAround(
    { ...(record as Record<string, unknown>), seq, prevHash },
    'hash',
  );
  const comma = before !== '' && after !== '' ? ',' : '';
  // The one-shot `hash` skips the Hash object `createHash` builds for every record.
  const hash = sha256Hex(`{${before}${comma}${after}}`);
  const member = `"hash":"${hash}"`;
  const line = `{${before}${before === '' ? '' : ','}${member}${after === '' ? '' : ','}${after}}`;
  return { line, hash };
}

/** Accepts a KeyObject or PEM text; an Ed25519 key is required. */
export function toPrivateKey(key: KeyObject | string): KeyObject {
  const object = typeof key === 'string' ? createPrivateKey(key) : key;
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'The audit signing key must be an Ed25519 private key (KeyObject or PEM).',
    );
  }
  return object;
}

/** Accepts a public KeyObject, a private one (its public half is used) or PEM text. */
export function toPublicKey(key: KeyObject | string): KeyObject {
  let object: KeyObject;
  if (typeof key === 'string') object = createPublicKey(key);
  else object = key.type === 'private' ? createPublicKey(key) : key;
  if (object.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError('CONFIGURATION_ERROR', 'Audit verification keys must be Ed25519 public keys.');
  }
  return object;
}

/**
 * A stable id for a public key (`ed25519:` and 16 hex digits of the SHA-256 of its DER form), so a
 * checkpoint names the key that signed it and keys can rotate without ambiguity.
 */
export function auditKeyId(key: KeyObject | string): string {
  const der = toPublicKey(key).export({ type: 'spki', format: 'der' });
  return `ed25519:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/** The public key as PEM text, for evidence bundles and verifiers. */
export function publicKeyPem(key: KeyObject | string): string {
  return toPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Makes a new Ed25519 signing key for the audit log. Keep the private PEM secret (a secrets
 * manager, not the audit directory); publish the public PEM to whoever verifies the log.
 */
export function generateAuditSigningKey(): {
  privateKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: auditKeyId(publicKey),
  };
}

/** Signs a checkpoint body. */
export function signCheckpoint(
  body: Omit<AuditCheckpoint, 'signature'>,
  privateKey: KeyObject,
): AuditCheckpoint {
  const signature = sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64');
  return { ...body, signature };
}

/** True when the checkpoint's signature is valid for the key. */
export function verifyCheckpointSignature(checkpoint: AuditCheckpoint, publicKey: KeyObject): boolean {
  const { signature, ...body } = checkpoint;
  if (typeof signature !== 'string') return false;
  try {
    return verify(null, Buffer.from(canonicalJson(body)), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Audit file names: first sequence number, UTC creation time, optional collision suffix. */
export const AUDIT_FILE_PATTERN = /^audit-(\d{12})-(\d{8}T\d{9}Z)(?:-(\d+))?\.jsonl$/;

/** Sorts audit file names into log order (sequence, then time, then suffix). */
export function sortAuditFiles(names: ReadonlyArray<string>): string[] {
  const parsed = names
    .map((name) => ({ name, match: AUDIT_FILE_PATTERN.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null);
  parsed.sort((a, b) => {
    const seq = Number(a.match[1]) - Number(b.match[1]);
    if (seq !== 0) return seq;
    if (a.match[2] !== b.match[2]) return a.match[2]! < b.match[2]! ? -1 : 1;
    return Number(a.match[3] ?? 0) - Number(b.match[3] ?? 0);
  });
  return parsed.map((entry) => entry.name);
}

/** The UTC stamp used in file names (`20261121T232900000Z`). */
export function fileStamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:.]/g, '');
}

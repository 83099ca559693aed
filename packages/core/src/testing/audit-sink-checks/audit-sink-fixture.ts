import type { AuditSink } from '../../audit/audit-record.ts';

/** A change an attacker (or an accident) makes to a stored log; the verifier must notice each. */
export type AuditTamperKind =
  /** Change a field of record `seq` and leave its hash. */
  | 'edit'
  /** Remove record `seq`. */
  | 'delete'
  /** Add a well-formed record after record `seq` (hashes recomputed from there, no key). */
  | 'insert'
  /** Swap records `seq` and `seq + 1`. */
  | 'reorder'
  /** Change record `seq` and recompute every hash after it: a rewrite without the signing key. */
  | 'rewrite';

/** Optional behaviour an audit sink declares; each flag switches a group of checks on. */
export interface AuditSinkConformanceCapabilities {
  /** Records carry `seq`, `prevHash` and `hash` forming one SHA-256 chain from the genesis hash. */
  chained?: boolean;
  /** `flush` and `close` exist; a closed sink refuses records. */
  lifecycle?: boolean;
  /** Records carrying base64 or secrets are scrubbed (`audit:scrubbed`) before they are kept. */
  scrubs?: boolean;
}

/** The verifier's verdict, as much of it as the kit needs. */
export interface AuditSinkVerdict {
  ok: boolean;
  records: number;
  /** Why it failed, for the test message. */
  reason?: string;
}

/** Options of {@link describeAuditSinkConformance}. */
export interface AuditSinkConformanceOptions {
  /** Sink name in the test titles. */
  name: string;
  /** A fresh sink on an empty log for each test. */
  createSink(): AuditSink | Promise<AuditSink>;
  /** Every record the log holds, in log order, as stored (chain fields included). */
  readRecords(sink: AuditSink): Promise<Array<Record<string, unknown>>>;
  /** Another writer on the same log as `sink` (another process); the kit then races them. */
  createPeer?(sink: AuditSink): AuditSink | Promise<AuditSink>;
  /** Verifies the log of a closed sink end to end (hash chain and signed checkpoints). */
  verify?(sink: AuditSink): Promise<AuditSinkVerdict>;
  /** Changes the stored log of a closed sink; `verify` must then fail. Needs `verify`. */
  tamper?(sink: AuditSink, kind: AuditTamperKind, seq: number): Promise<void>;
  /** A sink whose backend cannot be written; every write must be refused, never acknowledged. */
  createUnavailableSink?(): AuditSink | Promise<AuditSink>;
  capabilities?: AuditSinkConformanceCapabilities;
  /** Called after each test with that test's sinks (after closing them), e.g. to drop a schema. */
  cleanup?(sinks: AuditSink[]): void | Promise<void>;
}

/** What each audit sink check gets: the running test's sink on an empty log. */
export interface AuditSinkFixture {
  /** The test's fresh sink. */
  sink: AuditSink;
  /** Every sink of the test (peers and down sinks are added), closed after it and handed to `cleanup`. */
  sinks: AuditSink[];
  /** Closes every sink of the test (a closed sink's log is complete and may be verified). */
  closeAll(): Promise<void>;
  options: AuditSinkConformanceOptions;
  capabilities: AuditSinkConformanceCapabilities;
}

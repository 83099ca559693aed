/**
 * `@pixelgate/core/audit`: the audit log's chain and checkpoint primitives, its verifier and the
 * evidence exporter. Used by the CLI and by audit sinks that keep the same tamper evidence
 * elsewhere (a database); applications that only write records never need it.
 * @packageDocumentation
 */

export type {
  AuditChainFields,
  AuditCheckpoint,
  ChainedAuditRecord,
  CheckpointReason,
} from './audit/audit-chain.ts';
export {
  AUDIT_FILE_PATTERN,
  auditKeyId,
  chainAuditLine,
  fileStamp,
  GENESIS_HASH,
  generateAuditSigningKey,
  hashAuditEntry,
  publicKeyPem,
  signCheckpoint,
  sortAuditFiles,
  toPrivateKey,
  toPublicKey,
  verifyCheckpointSignature,
} from './audit/audit-chain.ts';
export {
  AUDIT_MAX_BASE64_RUN,
  type AuditSafetyOptions,
  assertAuditSafe,
  type PromptRetention,
  promptForAudit,
  scrubAuditRecord,
  stripAuditBase64,
} from './audit/audit-safety.ts';
export { canonicalJson } from './audit/canonical-json.ts';
export { renderEvidenceHtml } from './audit/cli/evidence-html.ts';
export { EVIDENCE_FORMAT, type EvidenceManifest } from './audit/cli/evidence-manifest.ts';
export {
  type EvidenceGroup,
  type EvidenceSummary,
  EvidenceSummaryBuilder,
} from './audit/cli/evidence-summary.ts';
export {
  type EvidenceBundle,
  type ExportEvidenceOptions,
  exportEvidence,
  signManifest,
} from './audit/cli/export-evidence.ts';
export {
  type AuditBreak,
  type AuditPublicKeys,
  type AuditTail,
  type AuditVerification,
  DEFAULT_TAIL_GRACE_MS,
  describeSignedExtent,
  formatAuditVerification,
  readPublicKeyFiles,
  type VerifyAuditLogOptions,
  verifyAuditLog,
} from './audit/cli/verify-audit-log.ts';
export {
  type EvidenceBundleVerification,
  isEvidenceBundle,
  type VerifyEvidenceBundleOptions,
  verifyEvidenceBundle,
} from './audit/cli/verify-evidence-bundle.ts';

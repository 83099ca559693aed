/**
 * PostgreSQL stores for pixelgate: one tamper-evident audit log for many gateway replicas, its
 * verifier and evidence export, the spend ledger and its reconciliation against the budget store,
 * and versioned migrations.
 * @packageDocumentation
 */
export { type ExportPostgresEvidenceOptions, exportPostgresEvidence } from './export-postgres-evidence.ts';
export { loadMigrations, type Migration, type MigrationReport, migrate } from './migrate.ts';
export { DEFAULT_POSTGRES_SCHEMA, type PostgresConnectionOptions } from './pg-connection.ts';
export {
  createPostgresAuditSink,
  type PostgresAuditSink,
  type PostgresAuditSinkOptions,
} from './postgres-audit-sink.ts';
export {
  type ReconcileSpendOptions,
  reconcileSpend,
  type SpendDifference,
  type SpendReconciliation,
} from './reconcile-spend.ts';
export { type VerifyPostgresAuditLogOptions, verifyPostgresAuditLog } from './verify-postgres-audit-log.ts';

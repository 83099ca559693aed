import { afterEach, beforeEach, describe } from 'vitest';
import type { AuditSink } from '../audit/audit-record.ts';
import { auditSinkCapabilityChecks } from './audit-sink-checks/audit-sink-capability-checks.ts';
import type {
  AuditSinkConformanceOptions,
  AuditSinkFixture,
} from './audit-sink-checks/audit-sink-fixture.ts';
import { auditSinkIntegrityChecks } from './audit-sink-checks/audit-sink-integrity-checks.ts';
import { auditSinkRecordChecks } from './audit-sink-checks/audit-sink-record-checks.ts';
import { registerChecks } from './conformance-checks.ts';

export type {
  AuditSinkConformanceCapabilities,
  AuditSinkConformanceOptions,
  AuditSinkVerdict,
  AuditTamperKind,
} from './audit-sink-checks/audit-sink-fixture.ts';
export { conformanceAuditRecord } from './audit-sink-checks/conformance-audit-record.ts';

/**
 * The audit sink conformance kit: one suite every {@link AuditSink} must pass, so the memory, file
 * and database sinks (and any user's own) keep the same promises: each record written is kept
 * exactly once, unchanged and in order, also under concurrent writes (and, with `createPeer`,
 * several writers on one log); a write is refused rather than acknowledged when the backend is
 * gone; chained sinks form one SHA-256 chain; and a verifier notices an edited, deleted, inserted
 * or reordered record and a rewrite without the signing key.
 */
export function describeAuditSinkConformance(options: AuditSinkConformanceOptions): void {
  const capabilities = options.capabilities ?? {};

  describe(`audit sink conformance: ${options.name}`, () => {
    let sink: AuditSink;
    let sinks: AuditSink[];
    const closeAll = async () => {
      for (const each of sinks) await each.close?.().catch(() => {});
    };

    beforeEach(async () => {
      sink = await options.createSink();
      sinks = [sink];
    });

    afterEach(async () => {
      await closeAll();
      await options.cleanup?.(sinks);
    });

    const fixture = (): AuditSinkFixture => ({ sink, sinks, closeAll, options, capabilities });
    registerChecks(
      [
        ...auditSinkRecordChecks(),
        ...auditSinkCapabilityChecks(options, capabilities),
        ...auditSinkIntegrityChecks(options),
      ],
      fixture,
    );
  });
}

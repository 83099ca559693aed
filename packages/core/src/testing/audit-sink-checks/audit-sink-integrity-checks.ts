import { expect } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { rejection } from './audit-sink-check-helpers.ts';
import type { AuditSinkConformanceOptions, AuditSinkFixture, AuditTamperKind } from './audit-sink-fixture.ts';
import { conformanceAuditRecord } from './conformance-audit-record.ts';

// Audit sink checks: the verifier notices every kind of tampering; a down backend refuses writes.

/** Every kind of tampering the verifier must notice, one check each. */
const TAMPER_KINDS: AuditTamperKind[] = ['edit', 'delete', 'insert', 'reorder', 'rewrite'];

async function verifiesAnUntouchedLog({ sink, closeAll, options }: AuditSinkFixture): Promise<void> {
  for (let index = 0; index < 7; index++) await sink.write(conformanceAuditRecord(index));
  await closeAll();
  const verdict = await options.verify!(sink);
  expect(verdict, verdict.reason).toMatchObject({ ok: true, records: 7 });
}

async function detectsATamperedLog(
  { sink, closeAll, options }: AuditSinkFixture,
  kind: AuditTamperKind,
): Promise<void> {
  for (let index = 0; index < 8; index++) await sink.write(conformanceAuditRecord(index));
  await closeAll();
  await options.tamper!(sink, kind, 4);
  const verdict = await options.verify!(sink);
  expect(verdict.ok, `${kind} went unnoticed`).toBe(false);
}

async function refusesRecordsWhenTheBackendIsDown({ sinks, options }: AuditSinkFixture): Promise<void> {
  const down = await options.createUnavailableSink!();
  sinks.push(down);
  const errors = await Promise.all(
    [1, 2, 3].map((index) => rejection(down.write(conformanceAuditRecord(index)))),
  );
  for (const error of errors) expect(GatewayError.isInstance(error), String(error)).toBe(true);
}

/** Verification of an untouched and of a tampered log (when `verify` and `tamper` are given), and a down backend. */
export function auditSinkIntegrityChecks(
  options: AuditSinkConformanceOptions,
): ConformanceCheck<AuditSinkFixture>[] {
  return [
    {
      title: 'verifies an untouched log',
      runIf: options.verify !== undefined,
      run: verifiesAnUntouchedLog,
    },
    ...TAMPER_KINDS.map((kind) => ({
      title: `detects a log changed by "${kind}"`,
      runIf: options.verify !== undefined && options.tamper !== undefined,
      run: (fixture: AuditSinkFixture) => detectsATamperedLog(fixture, kind),
    })),
    {
      title: 'refuses records, never acknowledging them, when the backend cannot be written',
      runIf: options.createUnavailableSink !== undefined,
      run: refusesRecordsWhenTheBackendIsDown,
    },
  ];
}

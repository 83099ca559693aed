import { expect } from 'vitest';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { withoutChain } from './audit-sink-check-helpers.ts';
import type { AuditSinkFixture } from './audit-sink-fixture.ts';
import { conformanceAuditRecord } from './conformance-audit-record.ts';

// Audit sink checks: every record kept once, unchanged and in order.

async function keepsEachRecordOnceInOrder({ sink, options }: AuditSinkFixture): Promise<void> {
  const written = Array.from({ length: 12 }, (_, index) => conformanceAuditRecord(index + 1));
  for (const record of written) await sink.write(record);
  await sink.flush?.();
  const stored = await options.readRecords(sink);
  expect(stored.map(withoutChain)).toEqual(written);
}

async function doesNotChangeTheRecordGiven({ sink }: AuditSinkFixture): Promise<void> {
  const record = conformanceAuditRecord(1);
  const copy = structuredClone(record);
  await sink.write(record);
  expect(record).toEqual(copy);
}

async function keepsConcurrentWritesExactlyOnce({ sink, options }: AuditSinkFixture): Promise<void> {
  const written = Array.from({ length: 100 }, (_, index) => conformanceAuditRecord(index + 1));
  await Promise.all(written.map((record) => sink.write(record)));
  await sink.flush?.();
  const stored = await options.readRecords(sink);
  expect(stored).toHaveLength(100);
  const ids = stored.map((entry) => entry.requestId);
  expect(new Set(ids).size).toBe(100);
  expect([...ids].sort()).toEqual(written.map((record) => record.requestId).sort());
}

async function roundTripsUnicodeAndNestedParameters({ sink, options }: AuditSinkFixture): Promise<void> {
  const record = conformanceAuditRecord(7, {
    tenantId: 'tenant-日本-🦊',
    parameters: { quote: '"\\\n\t', empty: '', deep: { a: [{ b: { c: 'ü' } }] } },
    metadata: { project: 'München', empty: '' },
  });
  await sink.write(record);
  await sink.flush?.();
  expect((await options.readRecords(sink)).map(withoutChain)).toEqual([record]);
}

/** Records kept once, unchanged, in order, also when written concurrently, in the kit's order. */
export function auditSinkRecordChecks(): ConformanceCheck<AuditSinkFixture>[] {
  return [
    {
      title: 'keeps each record once, unchanged and in order',
      run: keepsEachRecordOnceInOrder,
    },
    {
      title: 'does not change the record it was given',
      run: doesNotChangeTheRecordGiven,
    },
    {
      title: 'keeps every one of 100 concurrent writes exactly once',
      run: keepsConcurrentWritesExactlyOnce,
    },
    {
      title: 'round-trips Unicode, empty strings and nested parameters',
      run: roundTripsUnicodeAndNestedParameters,
    },
  ];
}

import { expect } from 'vitest';
import { GENESIS_HASH, hashAuditEntry } from '../../audit/audit-chain.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ConformanceCheck } from '../conformance-checks.ts';
import { rejection } from './audit-sink-check-helpers.ts';
import type {
  AuditSinkConformanceCapabilities,
  AuditSinkConformanceOptions,
  AuditSinkFixture,
} from './audit-sink-fixture.ts';
import { conformanceAuditRecord } from './conformance-audit-record.ts';

// Audit sink checks for declared behaviour: chaining, scrubbing, lifecycle, several writers.

async function chainsRecords({ sink, options }: AuditSinkFixture): Promise<void> {
  await Promise.all(Array.from({ length: 30 }, (_, index) => sink.write(conformanceAuditRecord(index))));
  await sink.flush?.();
  const stored = await options.readRecords(sink);
  let previous = GENESIS_HASH;
  stored.forEach((entry, index) => {
    expect(entry.seq).toBe(index + 1);
    expect(entry.prevHash).toBe(previous);
    expect(entry.hash).toBe(hashAuditEntry(entry));
    previous = entry.hash as string;
  });
}

async function keepsBase64AndSecretsOut({ sink, options }: AuditSinkFixture): Promise<void> {
  const smuggled = 'QUJD'.repeat(200);
  const record = conformanceAuditRecord(3, {
    parameters: { note: `data ${smuggled}`, key: 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD' },
  });
  await sink.write(record);
  await sink.flush?.();
  const [stored] = await options.readRecords(sink);
  const text = JSON.stringify(stored);
  expect(text).not.toContain(smuggled);
  expect(text).not.toContain('sk-proj-abcdefghijklmnopqrstuvwxyz');
  expect(stored!.labels).toContain('audit:scrubbed');
  expect(stored!.requestId).toBe(record.requestId);
}

async function flushesClosesAndRefusesAfterClose({ sink, options }: AuditSinkFixture): Promise<void> {
  await sink.write(conformanceAuditRecord(1));
  await sink.flush!();
  await sink.close!();
  await sink.close!();
  const error = await rejection(sink.write(conformanceAuditRecord(2)));
  expect(GatewayError.isInstance(error)).toBe(true);
  expect(await options.readRecords(sink)).toHaveLength(1);
}

async function keepsOneLogForSeveralWriters({
  sink,
  sinks,
  closeAll,
  options,
  capabilities,
}: AuditSinkFixture): Promise<void> {
  const peers = [sink, await options.createPeer!(sink), await options.createPeer!(sink)];
  sinks.push(...peers.slice(1));
  const written = Array.from({ length: 90 }, (_, index) => conformanceAuditRecord(index));
  await Promise.all(written.map((record, index) => peers[index % peers.length]!.write(record)));
  await closeAll();
  const stored = await options.readRecords(sink);
  expect(stored).toHaveLength(90);
  expect(new Set(stored.map((entry) => entry.requestId)).size).toBe(90);
  if (capabilities.chained) expect(stored.map((entry) => entry.seq)).toEqual(written.map((_, i) => i + 1));
  if (options.verify) {
    const verdict = await options.verify(sink);
    expect(verdict, verdict.reason).toMatchObject({ ok: true, records: 90 });
  }
}

/** The hash chain, scrubbing, flush and close, and peers, each run only when declared or given. */
export function auditSinkCapabilityChecks(
  options: AuditSinkConformanceOptions,
  capabilities: AuditSinkConformanceCapabilities,
): ConformanceCheck<AuditSinkFixture>[] {
  return [
    {
      title: 'chains records: seq from 1 without gaps, each prevHash the hash before it',
      runIf: capabilities.chained === true,
      run: chainsRecords,
    },
    {
      title: 'keeps base64 and secrets out of the log, marking the record',
      runIf: capabilities.scrubs === true,
      run: keepsBase64AndSecretsOut,
    },
    {
      title: 'flushes, closes, and refuses records after close',
      runIf: capabilities.lifecycle === true,
      run: flushesClosesAndRefusesAfterClose,
    },
    {
      title: 'keeps one log for several concurrent writers, each record once',
      runIf: options.createPeer !== undefined,
      run: keepsOneLogForSeveralWriters,
    },
  ];
}

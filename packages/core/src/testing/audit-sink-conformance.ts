import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditEntry } from '../audit/audit-chain.ts';
import { type AuditRecord, type AuditSink, auditRecordSchema } from '../audit/audit-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';

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

/** A valid record, different for each index. */
export function conformanceAuditRecord(index: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return auditRecordSchema.parse({
    v: 1,
    requestId: `req_${index}_${randomUUID().slice(0, 8)}`,
    timestamp: new Date(Date.UTC(2026, 11, 7, 12, 0, index % 60, index % 1000)).toISOString(),
    tenantId: index % 2 ? 'acme' : 'globex',
    userId: 'user-ü',
    source: 'library',
    model: 'local/draw',
    provider: 'local',
    outcome: index % 5 === 0 ? 'failed' : 'success',
    parameters: { n: 1, size: '512x512', nested: { list: [1, 'two', null] } },
    prompt: { sha256: 'c'.repeat(64), length: 12, retention: 'hash' },
    labels: ['label:one'],
    images: [{ sha256: 'a'.repeat(64), sizeBytes: 1234, mediaType: 'image/png', width: 64, height: 64 }],
    cost: { estimatedUsd: 0.04, actualUsd: 0.04, basis: 'image_price' },
    timings: { total: index },
    ...overrides,
  });
}

const CHAIN_FIELDS = new Set(['seq', 'prevHash', 'hash']);
function withoutChain(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([name]) => !CHAIN_FIELDS.has(name)));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

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

    it('keeps each record once, unchanged and in order', async () => {
      const written = Array.from({ length: 12 }, (_, index) => conformanceAuditRecord(index + 1));
      for (const record of written) await sink.write(record);
      await sink.flush?.();
      const stored = await options.readRecords(sink);
      expect(stored.map(withoutChain)).toEqual(written);
    });

    it('does not change the record it was given', async () => {
      const record = conformanceAuditRecord(1);
      const copy = structuredClone(record);
      await sink.write(record);
      expect(record).toEqual(copy);
    });

    it('keeps every one of 100 concurrent writes exactly once', async () => {
      const written = Array.from({ length: 100 }, (_, index) => conformanceAuditRecord(index + 1));
      await Promise.all(written.map((record) => sink.write(record)));
      await sink.flush?.();
      const stored = await options.readRecords(sink);
      expect(stored).toHaveLength(100);
      const ids = stored.map((entry) => entry.requestId);
      expect(new Set(ids).size).toBe(100);
      expect([...ids].sort()).toEqual(written.map((record) => record.requestId).sort());
    });

    it('round-trips Unicode, empty strings and nested parameters', async () => {
      const record = conformanceAuditRecord(7, {
        tenantId: 'tenant-日本-🦊',
        parameters: { quote: '"\\\n\t', empty: '', deep: { a: [{ b: { c: 'ü' } }] } },
        metadata: { project: 'München', empty: '' },
      });
      await sink.write(record);
      await sink.flush?.();
      expect((await options.readRecords(sink)).map(withoutChain)).toEqual([record]);
    });

    it.runIf(capabilities.chained === true)(
      'chains records: seq from 1 without gaps, each prevHash the hash before it',
      async () => {
        await Promise.all(
          Array.from({ length: 30 }, (_, index) => sink.write(conformanceAuditRecord(index))),
        );
        await sink.flush?.();
        const stored = await options.readRecords(sink);
        let previous = GENESIS_HASH;
        stored.forEach((entry, index) => {
          expect(entry.seq).toBe(index + 1);
          expect(entry.prevHash).toBe(previous);
          expect(entry.hash).toBe(hashAuditEntry(entry));
          previous = entry.hash as string;
        });
      },
    );

    it.runIf(capabilities.scrubs === true)(
      'keeps base64 and secrets out of the log, marking the record',
      async () => {
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
      },
    );

    it.runIf(capabilities.lifecycle === true)(
      'flushes, closes, and refuses records after close',
      async () => {
        await sink.write(conformanceAuditRecord(1));
        await sink.flush!();
        await sink.close!();
        await sink.close!();
        const error = await rejection(sink.write(conformanceAuditRecord(2)));
        expect(GatewayError.isInstance(error)).toBe(true);
        expect(await options.readRecords(sink)).toHaveLength(1);
      },
    );

    it.runIf(options.createPeer !== undefined)(
      'keeps one log for several concurrent writers, each record once',
      async () => {
        const peers = [sink, await options.createPeer!(sink), await options.createPeer!(sink)];
        sinks.push(...peers.slice(1));
        const written = Array.from({ length: 90 }, (_, index) => conformanceAuditRecord(index));
        await Promise.all(written.map((record, index) => peers[index % peers.length]!.write(record)));
        await closeAll();
        const stored = await options.readRecords(sink);
        expect(stored).toHaveLength(90);
        expect(new Set(stored.map((entry) => entry.requestId)).size).toBe(90);
        if (capabilities.chained)
          expect(stored.map((entry) => entry.seq)).toEqual(written.map((_, i) => i + 1));
        if (options.verify) {
          const verdict = await options.verify(sink);
          expect(verdict, verdict.reason).toMatchObject({ ok: true, records: 90 });
        }
      },
    );

    it.runIf(options.verify !== undefined)('verifies an untouched log', async () => {
      for (let index = 0; index < 7; index++) await sink.write(conformanceAuditRecord(index));
      await closeAll();
      const verdict = await options.verify!(sink);
      expect(verdict, verdict.reason).toMatchObject({ ok: true, records: 7 });
    });

    const kinds: AuditTamperKind[] = ['edit', 'delete', 'insert', 'reorder', 'rewrite'];
    for (const kind of kinds) {
      it.runIf(options.verify !== undefined && options.tamper !== undefined)(
        `detects a log changed by "${kind}"`,
        async () => {
          for (let index = 0; index < 8; index++) await sink.write(conformanceAuditRecord(index));
          await closeAll();
          await options.tamper!(sink, kind, 4);
          const verdict = await options.verify!(sink);
          expect(verdict.ok, `${kind} went unnoticed`).toBe(false);
        },
      );
    }

    it.runIf(options.createUnavailableSink !== undefined)(
      'refuses records, never acknowledging them, when the backend cannot be written',
      async () => {
        const down = await options.createUnavailableSink!();
        sinks.push(down);
        const errors = await Promise.all(
          [1, 2, 3].map((index) => rejection(down.write(conformanceAuditRecord(index)))),
        );
        for (const error of errors) expect(GatewayError.isInstance(error), String(error)).toBe(true);
      },
    );
  });
}

import { randomUUID } from 'node:crypto';
import { type AuditRecord, auditRecordSchema } from '../../audit/audit-record.ts';

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

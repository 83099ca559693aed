// A realistic audit record for the stores benchmarks (one generated image, a redacted prompt).
import { type AuditRecord, auditRecordSchema, promptForAudit } from '../packages/core/src/audit/index.ts';

/** A record like the pipeline writes for a successful request. */
export function sampleRecord(requestId: string): AuditRecord {
  return auditRecordSchema.parse({
    v: 1,
    requestId,
    timestamp: new Date().toISOString(),
    tenantId: 'tenant_1',
    userId: 'user_1',
    keyId: 'key_live_1',
    source: 'http:openai',
    model: 'openai/gpt-image-1.5',
    provider: 'openai',
    parameters: { n: 1, size: '1024x1024', quality: 'low' },
    prompt: promptForAudit('a lighthouse on a cliff at dusk, write to someone@example.com'),
    outcome: 'success',
    images: [
      { sha256: 'c'.repeat(64), sizeBytes: 24_317, mediaType: 'image/png', width: 1024, height: 1024 },
    ],
    cost: { estimatedUsd: 0.009, actualUsd: 0.009, basis: 'per_image' },
    timings: { total: 12 },
  });
}

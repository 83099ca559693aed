import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../audit/memory-audit-sink.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { createGateway } from '../../gateway/create-gateway.ts';
import { createMockImageProvider } from '../../testing/mock-image-provider.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { deliverStage } from './deliver.ts';
import { type ImageProvenance, type ImageProvenanceFacts, provenanceStage } from './provenance.ts';
import { storeStage } from './store.ts';

/** A stand-in stamper: appends a marker to the bytes and reports a fixed hash and fingerprint. */
function markingStamper(seen: ImageProvenanceFacts[] = []): ImageProvenance {
  return {
    async stamp(image, facts) {
      seen.push(facts);
      const bytes = new Uint8Array(image.byteLength + 4);
      bytes.set(image);
      bytes.set([0x43, 0x32, 0x50, 0x41], image.byteLength);
      return {
        bytes,
        mediaType: facts.mediaType,
        manifestHash: 'sha256:manifest',
        signerFingerprint: 'sha256:signer',
        warnings: [{ type: 'other', message: 'marked' }],
        labels: ['provenance:test'],
      };
    },
  };
}

describe('provenance stage', () => {
  it('replaces the bytes before the store hashes them and records hash and fingerprint per image', async () => {
    const seen: ImageProvenanceFacts[] = [];
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'a fox', n: 2 });
    await runStagesBefore(ctx, deps, 'store');
    const original = ctx.dispatched!.result.images.map((image) => image.bytes);
    await provenanceStage(markingStamper(seen)).run(ctx, deps);
    await storeStage.run(ctx, deps);
    expect(seen).toEqual([
      expect.objectContaining({
        requestId: 'req_test',
        tenantId: 'anonymous',
        model: 'mock/mock-image',
        prompt: 'a fox',
      }),
      expect.objectContaining({ provider: 'mock', mediaType: 'image/png' }),
    ]);
    ctx.facts.images.forEach((image, index) => {
      expect(image.sizeBytes).toBe(original[index]!.byteLength + 4);
      expect(image).toMatchObject({ manifestHash: 'sha256:manifest', signerFingerprint: 'sha256:signer' });
    });
    expect(ctx.facts.labels.has('provenance:test')).toBe(true);
    expect(ctx.facts.warnings).toContainEqual({ type: 'other', message: 'marked' });
  });

  it("drops the provider's base64 of a changed image, so b64_json carries the stamped bytes", async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'store');
    ctx.dispatched!.result.images[0]!.base64 = 'c3RhbGU=';
    await provenanceStage(markingStamper()).run(ctx, deps);
    await storeStage.run(ctx, deps);
    await deliverStage.run(ctx, deps);
    const delivered = Buffer.from(ctx.data![0]!.b64_json!, 'base64');
    expect(delivered.subarray(-4).toString('latin1')).toBe('C2PA');
  });

  it('runs between the output guardrails and the store, and a refusal is audited with its reason', async () => {
    const auditSink = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [createMockImageProvider()],
      auditSink,
      provenance: {
        stamp: () =>
          Promise.reject(
            new GatewayError('INTERNAL_ERROR', 'signing failed', {
              details: { reason: 'provenance_failed' },
            }),
          ),
      },
    });
    await expect(gateway.generate({ model: 'mock/mock-image', prompt: 'x' })).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
    });
    expect(auditSink.records).toHaveLength(1);
    expect(auditSink.records[0]).toMatchObject({
      outcome: 'failed',
      error: { reason: 'provenance_failed' },
      images: [],
    });

    const signed = createGateway({
      providers: [createMockImageProvider()],
      auditSink,
      provenance: markingStamper(),
    });
    const result = await signed.generate({ model: 'mock/mock-image', prompt: 'x' });
    expect(result.images[0]).toMatchObject({
      manifestHash: 'sha256:manifest',
      signerFingerprint: 'sha256:signer',
    });
    expect(auditSink.records[1]!.images[0]).toMatchObject({
      manifestHash: 'sha256:manifest',
      signerFingerprint: 'sha256:signer',
    });
    expect(auditSink.records[1]!.timings.provenance).toBeGreaterThanOrEqual(0);
  });
});

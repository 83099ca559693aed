import { describe, expect, it } from 'vitest';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { deliverStage, toBase64 } from './deliver.ts';

describe('deliver stage', () => {
  it('answers b64_json synchronously, encoding the same bytes', async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'deliver');
    expect(deliverStage.run(ctx, deps)).toBeUndefined();
    expect(
      Buffer.from(ctx.data![0]!.b64_json!, 'base64').equals(Buffer.from(ctx.facts.images[0]!.bytes)),
    ).toBe(true);
  });

  it('answers a signed media URL with its expiry for response_format url', async () => {
    const deps = stageDeps();
    const ctx = stageContext(
      deps,
      { model: 'mock/mock-image', prompt: 'x', response_format: 'url' },
      { publicBaseUrl: 'https://img.example' },
    );
    await runStagesBefore(ctx, deps, 'deliver');
    await deliverStage.run(ctx, deps);
    expect(ctx.data![0]!.url).toMatch(/^https:\/\/img\.example\/v1\/media\/.+/);
    expect(ctx.facts.images[0]!.urlExpiresAt).toBe(deps.clock.now() + 3600_000);
  });

  it("reuses the provider's canonical base64 and re-encodes anything else", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(toBase64(bytes, 'AQIDBA==')).toBe('AQIDBA==');
    expect(toBase64(bytes, 'AQIDBA')).toBe('AQIDBA==');
  });
});

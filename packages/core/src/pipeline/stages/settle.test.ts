import { describe, expect, it } from 'vitest';
import { createMockImageProvider } from '../../testing/mock-image-provider.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { settleStage } from './settle.ts';

const budget = { budgets: { rules: [{ scope: 'tenant' as const, period: 'day' as const, limitUsd: 1 }] } };

describe('settle stage', () => {
  it('settles the reservation to the per-image price of what was delivered', async () => {
    const deps = stageDeps({ config: budget });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(ctx, deps, 'settle');
    await settleStage.run(ctx, deps);
    expect(ctx.facts.cost).toEqual({ estimatedUsd: 0.08, actualUsd: 0.08, basis: 'per_image' });
    expect(ctx.reservation).toBeUndefined();
    expect(deps.emitted.at(-1)).toMatchObject({
      name: 'budget-settle',
      event: { reservedUsd: 0.08, actualUsd: 0.08, released: false },
    });
  });

  it("prefers the provider's reported cost", async () => {
    const provider = createMockImageProvider({
      generate: (call) => ({
        images: Array.from({ length: call.n }, () => ({
          bytes: new Uint8Array([1]),
          mediaType: 'image/png',
        })),
        costUsd: 0.0123456,
      }),
    });
    const deps = stageDeps({ providers: [provider] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'settle');
    await settleStage.run(ctx, deps);
    expect(ctx.facts.cost.basis).toBe('provider_reported');
    expect(ctx.facts.cost.actualUsd).toBeCloseTo(0.0123456, 4);
  });
});

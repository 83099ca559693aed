import { describe, expect, it } from 'vitest';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { rateLimitStage } from './rate-limit.ts';

describe('rate-limit stage', () => {
  it('does nothing without rules (and answers synchronously)', async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'rate-limit');
    expect(rateLimitStage.run(ctx, deps)).toBeUndefined();
    expect(ctx.facts.rateLimit).toEqual([]);
  });

  it('counts images, records the decisions, and refuses past the limit with RATE_LIMITED', async () => {
    const deps = stageDeps({
      config: { rateLimits: { rules: [{ scope: 'tenant', unit: 'images', limit: 3 }] } },
    });
    const first = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(first, deps, 'rate-limit');
    await rateLimitStage.run(first, deps);
    expect(first.facts.rateLimit).toEqual([
      expect.objectContaining({ allowed: true, remaining: 1, limit: 3 }),
    ]);
    const second = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(second, deps, 'rate-limit');
    await expect(rateLimitStage.run(second, deps)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(second.facts.rateLimit[0]).toMatchObject({ allowed: false, remaining: 1 });
    expect(deps.emitted.filter((e) => e.name === 'rate-limit')).toHaveLength(2);
  });
});

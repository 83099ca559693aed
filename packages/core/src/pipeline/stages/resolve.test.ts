import { describe, expect, it } from 'vitest';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { resolveStage } from './resolve.ts';

describe('resolve stage (resolve + access + capabilities)', () => {
  it('resolves the model, checks the request against it and emits model-resolve', async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock-image', prompt: 'a fox', size: '512x512' });
    await runStagesBefore(ctx, deps, 'resolve');
    resolveStage.run(ctx, deps);
    expect(ctx.primary?.call).toMatchObject({ size: '512x512', n: 1, providerOptions: {} });
    expect(ctx.facts.model?.id).toBe('mock-image');
    expect(deps.emitted.map((e) => e.name)).toEqual(['model-resolve']);
  });

  it('refuses an unknown model, a denied one, and an unsupported value', async () => {
    const denied = stageDeps({ accessPolicy: () => false });
    const cases = [
      [stageDeps(), { model: 'nope', prompt: 'x' }, 'MODEL_NOT_FOUND'],
      [denied, { model: 'mock/mock-image', prompt: 'x' }, 'MODEL_ACCESS_DENIED'],
      [stageDeps(), { model: 'mock/mock-image', prompt: 'x', size: '333x333' }, 'VALIDATION_ERROR'],
      [
        stageDeps(),
        { model: 'mock/mock-image', prompt: 'x', provider_options: { other: {} } },
        'VALIDATION_ERROR',
      ],
    ] as const;
    for (const [deps, input, code] of cases) {
      const ctx = stageContext(deps, input);
      await runStagesBefore(ctx, deps, 'resolve');
      expect(() => resolveStage.run(ctx, deps)).toThrow(expect.objectContaining({ code }));
    }
  });

  it('under coerce, reports each change once as a warning and a capability-warning event', async () => {
    const deps = stageDeps({ config: { capabilityPolicy: 'coerce' } });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', size: '500x500' });
    await runStagesBefore(ctx, deps, 'resolve');
    resolveStage.run(ctx, deps);
    expect(ctx.facts.warnings).toEqual([expect.objectContaining({ type: 'coerced', param: 'size' })]);
    expect(deps.emitted.filter((e) => e.name === 'capability-warning')).toHaveLength(1);
  });
});

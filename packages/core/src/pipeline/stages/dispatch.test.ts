import { describe, expect, it } from 'vitest';
import { BackendError } from '../../errors/gateway-error.ts';
import { createMockImageProvider } from '../../testing/mock-image-provider.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { dispatchStage } from './dispatch.ts';

const down = () =>
  createMockImageProvider({
    id: 'down',
    generate: () =>
      Promise.reject(new BackendError('down', { reason: 'upstream_unavailable', provider: 'down' })),
  });

describe('dispatch stage', () => {
  it('sends the redacted texts and records the attempt, upstream ids and usage', async () => {
    const provider = createMockImageProvider({
      generate: (call) => ({
        images: [{ bytes: new Uint8Array([1, 2, 3]), mediaType: 'image/png' }],
        usage: { outputImageTokens: 10 },
        response: { upstreamRequestId: 'up_1' },
        ...(call.n ? {} : {}),
      }),
    });
    const deps = stageDeps({ providers: [provider] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'a fox' });
    await runStagesBefore(ctx, deps, 'dispatch');
    ctx.texts = { prompt: 'a [redacted] fox', negativePrompt: undefined };
    await dispatchStage.run(ctx, deps);
    expect(provider.calls[0]!.call.prompt).toBe('a [redacted] fox');
    expect(ctx.facts.attempts).toEqual([{ model: 'mock/mock-image', outcome: 'success' }]);
    expect(ctx.facts.upstreamRequestIds).toEqual(['up_1']);
    expect(ctx.facts.usage).toEqual({ outputImageTokens: 10 });
    expect(ctx.dispatched?.result.images).toHaveLength(1);
  });

  it('falls back on a listed failure, moving the reservation, and says so', async () => {
    const deps = stageDeps({
      providers: [down(), createMockImageProvider({ id: 'up' })],
      config: {
        dispatch: { retry: { maxRetries: 0 }, fallbacks: { 'down/mock-image': ['nope', 'up/mock-image'] } },
        budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 1 }] },
      },
    });
    const ctx = stageContext(deps, { model: 'down/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'dispatch');
    const first = ctx.reservation;
    await dispatchStage.run(ctx, deps);
    expect(ctx.facts.attempts).toEqual([
      { model: 'down/mock-image', outcome: 'failed', errorCode: 'BACKEND_ERROR' },
      { model: 'nope', outcome: 'skipped', errorCode: 'MODEL_NOT_FOUND' },
      { model: 'up/mock-image', outcome: 'success' },
    ]);
    expect(ctx.facts.model?.provider).toBe('up');
    expect(ctx.reservation).toBeDefined();
    expect(ctx.reservation).not.toBe(first);
    expect(ctx.facts.warnings).toContainEqual(expect.objectContaining({ type: 'fallback', to: 'nope' }));
    expect(deps.emitted.map((e) => e.name)).toContain('model-fallback');
  });

  it('fails with the provider error when no fallback applies, and when everything was filtered', async () => {
    const deps = stageDeps({ providers: [down()], config: { dispatch: { retry: { maxRetries: 0 } } } });
    const ctx = stageContext(deps, { model: 'down/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'dispatch');
    await expect(dispatchStage.run(ctx, deps)).rejects.toMatchObject({
      code: 'BACKEND_ERROR',
      details: expect.objectContaining({ reason: 'upstream_unavailable' }),
    });
    const filtered = stageDeps({
      providers: [createMockImageProvider({ generate: (call) => ({ images: [], filteredCount: call.n }) })],
    });
    const all = stageContext(filtered, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(all, filtered, 'dispatch');
    await expect(dispatchStage.run(all, filtered)).rejects.toMatchObject({
      details: expect.objectContaining({ reason: 'content_filtered' }),
    });
    expect(all.facts.labels.has('provider:content_filtered')).toBe(true);
  });
});

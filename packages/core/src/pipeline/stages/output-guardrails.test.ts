import { describe, expect, it } from 'vitest';
import { createImageIntegrityGuardrail } from '../../guardrails/builtin/image-integrity-guardrail.ts';
import { createMockImageProvider } from '../../testing/mock-image-provider.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { outputGuardrailsStage } from './output-guardrails.ts';

describe('output-guardrails stage', () => {
  it('lets real images of the asked size through, synchronously', async () => {
    const deps = stageDeps({ guardrails: [createImageIntegrityGuardrail()] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', size: '256x256' });
    await runStagesBefore(ctx, deps, 'output-guardrails');
    expect(outputGuardrailsStage.run(ctx, deps)).toBeUndefined();
    expect(ctx.facts.verdicts).toEqual([expect.objectContaining({ stage: 'output', action: 'allow' })]);
  });

  it('blocks bytes that are not the image they claim to be', async () => {
    const provider = createMockImageProvider({
      generate: () => ({
        images: [{ bytes: new TextEncoder().encode('not a png'), mediaType: 'image/png' }],
      }),
    });
    const deps = stageDeps({ providers: [provider], guardrails: [createImageIntegrityGuardrail()] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'output-guardrails');
    expect(() => outputGuardrailsStage.run(ctx, deps)).toThrow(
      expect.objectContaining({ code: 'CONTENT_BLOCKED' }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { parseStage } from './parse.ts';

describe('parse stage', () => {
  it('keeps the validated request and the model to resolve', () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'a fox', n: 2 });
    parseStage.run(ctx, deps);
    expect(ctx.request).toMatchObject({ model: 'mock/mock-image', prompt: 'a fox', n: 2 });
    expect(ctx.facts.requestedModel).toBe('mock/mock-image');
  });

  it('uses the default model when the request names none', () => {
    const deps = stageDeps({ config: { defaultModel: 'mock/mock-image' } });
    const ctx = stageContext(deps, { prompt: 'a fox' });
    parseStage.run(ctx, deps);
    expect(ctx.facts.requestedModel).toBe('mock/mock-image');
  });

  it('refuses a malformed body or a missing model with VALIDATION_ERROR naming the field', () => {
    const deps = stageDeps();
    expect(() => parseStage.run(stageContext(deps, { prompt: 'x', n: 'two' }), deps)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR', param: 'n' }),
    );
    expect(() => parseStage.run(stageContext(deps, { prompt: 'x', colour: 'red' }), deps)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR' }),
    );
    expect(() => parseStage.run(stageContext(deps, { prompt: 'x' }), deps)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR', param: 'model' }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { solidPng } from '../../testing/solid-png.ts';
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

  it('parses edits and variations with their own schema, keeping image bytes out of the request', () => {
    const deps = stageDeps();
    const png = solidPng(4, 4);
    const edit = stageContext(
      deps,
      { model: 'mock/mock-image', prompt: 'a hat', image: [png, png], mask: png, input_fidelity: 'high' },
      { operation: 'edit' },
    );
    parseStage.run(edit, deps);
    expect(edit.request).toEqual({ model: 'mock/mock-image', prompt: 'a hat', input_fidelity: 'high' });
    expect(edit.inputs?.images.map((i) => i.field)).toEqual(['image[0]', 'image[1]']);
    expect(edit.inputs?.mask?.field).toBe('mask');
    const variation = stageContext(
      deps,
      { model: 'mock/mock-image', image: png, n: 2 },
      { operation: 'variation' },
    );
    parseStage.run(variation, deps);
    expect(variation.request).toEqual({ model: 'mock/mock-image', n: 2, prompt: '' });
    expect(variation.inputs?.images.map((i) => i.field)).toEqual(['image']);
    expect(() => parseStage.run(stageContext(deps, { prompt: 'x', image: png }), deps)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR', param: 'image' }),
    );
    expect(() =>
      parseStage.run(stageContext(deps, { model: 'm', prompt: 'x' }, { operation: 'edit' }), deps),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR', param: 'image' }));
  });
});

import { describe, expect, it } from 'vitest';
import type { Guardrail } from '../../guardrails/guardrail.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { inputGuardrailsStage } from './input-guardrails.ts';

const redactor: Guardrail = {
  id: 'redactor',
  stage: 'input',
  check: ({ prompt }) => ({
    action: 'redact',
    labels: ['pii:email'],
    redactedPrompt: prompt.replace(/\S+@\S+/, '[email]'),
  }),
};
const blocker: Guardrail = {
  id: 'blocker',
  stage: 'input',
  check: () => ({ action: 'block', labels: ['nope'] }),
};
const slow: Guardrail = {
  id: 'slow',
  stage: 'input',
  check: async () => ({ action: 'flag', labels: ['slow'] }),
};

describe('input-guardrails stage', () => {
  it('passes the prompt through when there are no guardrails', async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'a fox', negative_prompt: 'blur' });
    await runStagesBefore(ctx, deps, 'input-guardrails');
    expect(inputGuardrailsStage.run(ctx, deps)).toBeUndefined();
    expect(ctx.texts).toEqual({ prompt: 'a fox', negativePrompt: 'blur' });
  });

  it('applies redactions synchronously when every guardrail answers synchronously', async () => {
    const deps = stageDeps({ guardrails: [redactor] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'mail me at a@b.example' });
    await runStagesBefore(ctx, deps, 'input-guardrails');
    expect(inputGuardrailsStage.run(ctx, deps)).toBeUndefined();
    expect(ctx.texts?.prompt).toBe('mail me at [email]');
    expect([...ctx.facts.labels]).toEqual(['pii:email']);
    expect(deps.emitted.filter((e) => e.name === 'guardrail-verdict')).toHaveLength(1);
  });

  it('waits for asynchronous guardrails and ends the request on a block', async () => {
    const deps = stageDeps({ guardrails: [slow, blocker] });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'input-guardrails');
    await expect(inputGuardrailsStage.run(ctx, deps)).rejects.toMatchObject({
      code: 'CONTENT_BLOCKED',
      param: 'prompt',
    });
    expect(ctx.facts.verdicts.map((v) => v.guardrail)).toEqual(['slow', 'blocker']);
  });
});

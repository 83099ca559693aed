import type { GuardrailRunResult } from '../../guardrails/run-guardrails.ts';
import { contentBlockedError, runGuardrailsFast } from '../../guardrails/run-guardrails.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import { eventBase, need, type RequestContext } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** Verdicts and labels into the facts; a block ends the request with CONTENT_BLOCKED. */
export function recordGuardrailRun(ctx: RequestContext, outcome: GuardrailRunResult): void {
  ctx.facts.verdicts.push(...outcome.verdicts);
  for (const label of outcome.labels) ctx.facts.labels.add(label);
  if (outcome.blocked) throw contentBlockedError(outcome.blocked);
}

/** The options every guardrail run of a request shares: its signal and the verdict event. */
export function guardrailRunOptions(ctx: RequestContext, deps: PipelineDeps) {
  return {
    signal: ctx.signal,
    onVerdict: (verdict: GuardrailRunResult['verdicts'][number]) =>
      deps.events.emit('guardrail-verdict', { ...eventBase(ctx), verdict }),
  };
}

/**
 * input guardrails: run in order on the prompt (and negative prompt); a redaction changes what
 * later guardrails and the provider see. Synchronous guardrails are run without awaiting.
 */
export const inputGuardrailsStage: Stage = {
  name: 'input-guardrails',
  timing: 'input_guardrails',
  run(ctx, deps) {
    const request = need(ctx.request, 'request');
    ctx.texts = { prompt: request.prompt, negativePrompt: request.negative_prompt };
    // A variation has no prompt to check; edits are checked like generations.
    if (deps.guardrails.input.length === 0 || ctx.operation === 'variation') return;
    const input = {
      stage: 'input' as const,
      prompt: request.prompt,
      ...(request.negative_prompt ? { negativePrompt: request.negative_prompt } : {}),
      model: need(ctx.primary, 'primary').resolved.model,
      tenant: ctx.tenant,
      requestId: ctx.requestId,
    };
    const apply = (outcome: GuardrailRunResult): void => {
      recordGuardrailRun(ctx, outcome);
      ctx.texts = {
        prompt: outcome.prompt,
        negativePrompt: outcome.negativePrompt ?? request.negative_prompt,
      };
    };
    const outcome = runGuardrailsFast(deps.guardrails.input, input, guardrailRunOptions(ctx, deps));
    return outcome instanceof Promise ? outcome.then(apply) : apply(outcome);
  },
};

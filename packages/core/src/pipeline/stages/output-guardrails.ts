import type { GuardrailRunResult } from '../../guardrails/run-guardrails.ts';
import { runGuardrailsFast } from '../../guardrails/run-guardrails.ts';
import { parseSize } from '../../shared/image-size.ts';
import { need } from '../request-context.ts';
import type { Stage } from '../stage.ts';
import { guardrailRunOptions, recordGuardrailRun } from './input-guardrails.ts';

/**
 * output guardrails: every image is checked (is it what it claims to be, at the size and type the
 * call asked for; what did the provider's safety system say), and custom checks may run. A block
 * ends the request with CONTENT_BLOCKED.
 */
export const outputGuardrailsStage: Stage = {
  name: 'output-guardrails',
  timing: 'output_guardrails',
  run(ctx, deps) {
    if (deps.guardrails.output.length === 0) return;
    const { result, used } = need(ctx.dispatched, 'dispatched');
    const expectedSize = parseSize(used.call.size ?? '');
    const expectedType = used.call.outputFormat ? `image/${used.call.outputFormat}` : undefined;
    const expected = {
      ...(expectedType ? { mediaType: expectedType } : {}),
      ...(expectedSize ? { width: expectedSize.width, height: expectedSize.height } : {}),
    };
    const input = {
      stage: 'output' as const,
      prompt: need(ctx.texts, 'texts').prompt,
      model: used.resolved.model,
      tenant: ctx.tenant,
      requestId: ctx.requestId,
      providerLabels: result.labels,
      images: result.images.map((image) => ({
        bytes: image.bytes,
        mediaType: image.mediaType,
        expected,
        labels: image.labels ?? [],
      })),
    };
    const outcome = runGuardrailsFast(deps.guardrails.output, input, guardrailRunOptions(ctx, deps));
    return outcome instanceof Promise
      ? outcome.then((o: GuardrailRunResult) => recordGuardrailRun(ctx, o))
      : recordGuardrailRun(ctx, outcome);
  },
};

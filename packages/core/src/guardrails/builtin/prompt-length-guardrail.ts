import { GatewayError } from '../../errors/gateway-error.ts';
import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';

/** Options of {@link createPromptLengthGuardrail}. */
export interface PromptLengthGuardrailOptions {
  /** Guardrail id (default `prompt-length`). */
  id?: string;
  /** Most characters (Unicode code points) a prompt may have, negative prompt included. */
  maxLength: number;
}

/**
 * A gateway-wide ceiling on prompt length, independent of each model's own limit (which the
 * capability check enforces): it keeps abusive multi-megabyte prompts away from the slower
 * guardrails, the providers and the audit log. Counts code points, so emoji count once.
 */
export function createPromptLengthGuardrail(options: PromptLengthGuardrailOptions): Guardrail {
  if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
    throw new GatewayError('CONFIGURATION_ERROR', 'maxLength must be a positive integer (characters).');
  }
  const maxLength = options.maxLength;
  const codePoints = (text: string): number => {
    // Cheap upper bound first: UTF-16 length >= code points.
    if (text.length <= maxLength) return text.length;
    let count = 0;
    for (const _ of text) count++;
    return count;
  };
  return {
    id: options.id ?? 'prompt-length',
    stage: 'input',
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const length =
        codePoints(input.prompt) +
        (input.negativePrompt === undefined ? 0 : codePoints(input.negativePrompt));
      if (length <= maxLength) return { action: 'allow', labels: [] };
      return {
        action: 'block',
        labels: ['prompt:too_long'],
        reason: `The prompt has ${length} characters; at most ${maxLength} are accepted.`,
      };
    },
  };
}

import { createImageIntegrityGuardrail } from './builtin/image-integrity-guardrail.ts';
import { redactPii } from './builtin/pii-detectors.ts';
import { createPiiGuardrail, type PiiGuardrailOptions } from './builtin/pii-guardrail.ts';
import { createPromptLengthGuardrail } from './builtin/prompt-length-guardrail.ts';
import { createProviderSafetyGuardrail } from './builtin/provider-safety-guardrail.ts';
import type { Guardrail } from './guardrail.ts';

/** Options of {@link createDefaultGuardrails}. */
export interface DefaultGuardrailsOptions {
  /** Gateway-wide prompt ceiling in characters (default 32,000: above every model's own limit). */
  maxPromptLength?: number;
  /** PII categories and actions (default: the PII guardrail's `DEFAULT_PII_ACTIONS`). */
  pii?: PiiGuardrailOptions;
  /** Provider labels that block output (default none: flag only). */
  blockProviderLabels?: string[];
}

/**
 * The guardrails a gateway installs when configured with none, in the order they run: prompt
 * length first (cheap, and it keeps huge prompts from the slower scans), then PII; on output,
 * image integrity then provider safety. No blocklist: which terms to refuse is the operator's
 * policy, not a default.
 */
export function createDefaultGuardrails(options: DefaultGuardrailsOptions = {}): Guardrail[] {
  return [
    createPromptLengthGuardrail({ maxLength: options.maxPromptLength ?? 32_000 }),
    createPiiGuardrail(options.pii ?? {}),
    createImageIntegrityGuardrail(),
    createProviderSafetyGuardrail({ block: options.blockProviderLabels ?? [] }),
  ];
}

/** Alias of {@link createDefaultGuardrails}, the name the gateway uses. */
export const defaultGuardrails: (options?: DefaultGuardrailsOptions) => Guardrail[] = createDefaultGuardrails;

/**
 * The audit log's `redacted` prompt retention: every PII category masked, whatever the PII
 * guardrail's own actions (a flagged email still does not belong in the audit log).
 */
export function redactPromptForAudit(prompt: string): string {
  return redactPii(prompt);
}

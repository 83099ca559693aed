import { z } from 'zod';
import type { TenantContext } from '../access/tenant.ts';
import type { ModelDescriptor } from '../models/model-descriptor.ts';

/** What a guardrail decided. */
export const guardrailVerdictSchema = z.strictObject({
  /** allow: nothing found; flag: found, let through, recorded; redact: prompt changed; block: refuse. */
  action: z.enum(['allow', 'flag', 'redact', 'block']),
  /** Classification labels, `category:detail` (`pii:email`, `blocklist:weapons`). */
  labels: z.array(z.string()).default([]),
  /** Short reason safe to show the caller: never the offending text in full. */
  reason: z.string().optional(),
  /** The prompt to send instead, required with `redact`. */
  redactedPrompt: z.string().optional(),
  /** The negative prompt to send instead, when a redaction also changed it. */
  redactedNegativePrompt: z.string().optional(),
  /** Optional confidence 0-1. */
  score: z.number().min(0).max(1).optional(),
});
/** A guardrail verdict. */
export type GuardrailVerdict = z.infer<typeof guardrailVerdictSchema>;
/** A verdict as a guardrail may return it (labels optional). */
export type GuardrailVerdictInput = z.input<typeof guardrailVerdictSchema>;

/** One image as output guardrails see it. */
export interface GuardrailImage {
  bytes: Uint8Array;
  mediaType: string;
  /** What the request asked for, to check against. */
  expected: { mediaType?: string; width?: number; height?: number };
  /** Labels the provider attached. */
  labels: string[];
}

/** What a guardrail inspects. */
export interface GuardrailInput {
  stage: 'input' | 'output';
  /** The prompt as it stands (after earlier redactions). */
  prompt: string;
  negativePrompt?: string;
  model: ModelDescriptor;
  tenant: TenantContext;
  requestId: string;
  /** Output stage only. */
  images?: GuardrailImage[];
  /** Output stage only: provider safety labels for the whole call. */
  providerLabels?: string[];
}

/**
 * A check on a prompt (input stage) or on produced images (output stage). Plain objects; may be
 * async. `timeoutMs` and `failMode` say what happens when it is slow or throws: fail closed (block,
 * the default) or open (allow and flag `guardrail:error`).
 */
export interface Guardrail {
  readonly id: string;
  readonly stage: 'input' | 'output';
  readonly timeoutMs?: number;
  readonly failMode?: 'closed' | 'open';
  check(
    input: GuardrailInput,
    options: { signal: AbortSignal },
  ): Promise<GuardrailVerdictInput> | GuardrailVerdictInput;
}

/** One guardrail's verdict with its id, as events and audit records carry it. */
export interface RecordedVerdict extends GuardrailVerdict {
  guardrail: string;
  stage: 'input' | 'output';
  durationMs: number;
}

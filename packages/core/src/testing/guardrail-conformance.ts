import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../access/tenant.ts';
import {
  type Guardrail,
  type GuardrailImage,
  type GuardrailInput,
  guardrailVerdictSchema,
} from '../guardrails/guardrail.ts';
import { type ModelDescriptor, modelDescriptorSchema } from '../models/model-descriptor.ts';

/** The model the kit's inputs name when a sample does not bring its own. */
export const CONFORMANCE_MODEL: ModelDescriptor = modelDescriptorSchema.parse({
  id: 'conformance-model',
  provider: 'conformance',
  capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 4, maxPromptLength: 4000 },
});

/** The tenant the kit's inputs name when a sample does not bring its own. */
export const CONFORMANCE_TENANT: TenantContext = { tenantId: 'conformance-tenant' };

/** A sample input: a prompt, or any part of a guardrail input. */
export type GuardrailSample = string | (Partial<GuardrailInput> & { prompt: string });

/**
 * Builds a complete guardrail input from a prompt or a partial input, with the kit's model and
 * tenant, so that guardrail tests (the kit's and a user's own) need no pipeline.
 */
export function createGuardrailInput(
  sample: GuardrailSample,
  stage: 'input' | 'output' = 'input',
): GuardrailInput {
  const partial = typeof sample === 'string' ? { prompt: sample } : sample;
  return {
    stage,
    model: CONFORMANCE_MODEL,
    tenant: CONFORMANCE_TENANT,
    requestId: 'req_conformance',
    ...(stage === 'output' ? { images: [] as GuardrailImage[], providerLabels: [] } : {}),
    ...partial,
  };
}

/** Options of {@link describeGuardrailConformance}. */
export interface GuardrailConformanceOptions {
  /** Name shown in the test report. */
  name: string;
  /** Makes a fresh guardrail (called once per test). */
  create: () => Guardrail | Promise<Guardrail>;
  /** Inputs to exercise: some that should pass and some that should trigger the guardrail. */
  samples: GuardrailSample[];
  /** Texts that must never appear in a verdict's reason (the offending parts of the samples). */
  sensitive?: string[];
  /** Characters of the oversized prompt (default 1,000,000). */
  oversizedLength?: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

function snapshot(input: GuardrailInput): string {
  return JSON.stringify(input, (_key, value) =>
    ArrayBuffer.isView(value) ? Array.from(value as Uint8Array).join(',') : (value as unknown),
  );
}

/**
 * The shared test suite every guardrail (built-in or custom) should pass: its verdicts validate
 * against the verdict schema (a redaction carries the redacted prompt), it never mutates its input
 * (inputs are frozen and compared), empty and oversized prompts get a verdict rather than an
 * exception, the same input always gives the same verdict, and reasons never repeat the
 * sensitive parts of the samples. Call it inside a vitest test file.
 */
export function describeGuardrailConformance(options: GuardrailConformanceOptions): void {
  const oversized = options.oversizedLength ?? 1_000_000;

  const inputsFor = async (): Promise<{ guardrail: Guardrail; inputs: GuardrailInput[] }> => {
    const guardrail = await options.create();
    return {
      guardrail,
      inputs: options.samples.map((sample) => createGuardrailInput(sample, guardrail.stage)),
    };
  };
  const check = async (guardrail: Guardrail, input: GuardrailInput) =>
    guardrail.check(input, { signal: new AbortController().signal });

  describe(`guardrail conformance: ${options.name}`, () => {
    it('has an id and a stage', async () => {
      const guardrail = await options.create();
      expect(typeof guardrail.id).toBe('string');
      expect(guardrail.id.length).toBeGreaterThan(0);
      expect(['input', 'output']).toContain(guardrail.stage);
      if (guardrail.failMode !== undefined) expect(['closed', 'open']).toContain(guardrail.failMode);
      if (guardrail.timeoutMs !== undefined) expect(guardrail.timeoutMs).toBeGreaterThan(0);
    });

    it('returns verdicts that validate against the verdict schema', async () => {
      expect(options.samples.length).toBeGreaterThan(0);
      const { guardrail, inputs } = await inputsFor();
      for (const input of inputs) {
        const verdict = guardrailVerdictSchema.parse(await check(guardrail, input));
        if (verdict.action === 'redact') {
          expect(verdict.redactedPrompt ?? verdict.redactedNegativePrompt).toBeTypeOf('string');
        }
        for (const label of verdict.labels) expect(label).toMatch(/^[a-z0-9_.-]+:[a-z0-9_.:-]+$/);
      }
    });

    it('does not mutate its input', async () => {
      const { guardrail, inputs } = await inputsFor();
      for (const input of inputs) {
        const before = snapshot(input);
        await check(guardrail, deepFreeze(input));
        expect(snapshot(input)).toBe(before);
      }
    });

    it('handles an empty prompt', async () => {
      const { guardrail, inputs } = await inputsFor();
      const input = { ...inputs[0]!, prompt: '' };
      guardrailVerdictSchema.parse(await check(guardrail, input));
    });

    it('handles an oversized prompt', async () => {
      const { guardrail, inputs } = await inputsFor();
      const unit = 'a quiet harbour at dawn, ';
      const prompt = unit.repeat(Math.ceil(oversized / unit.length)).slice(0, oversized);
      guardrailVerdictSchema.parse(await check(guardrail, { ...inputs[0]!, prompt }));
    });

    it('is deterministic', async () => {
      const { guardrail, inputs } = await inputsFor();
      const other = await options.create();
      for (const input of inputs) {
        const first = guardrailVerdictSchema.parse(await check(guardrail, input));
        const second = guardrailVerdictSchema.parse(await check(guardrail, input));
        const fresh = guardrailVerdictSchema.parse(await check(other, input));
        expect(second).toEqual(first);
        expect(fresh).toEqual(first);
      }
    });

    it('never repeats sensitive text in its reason', async () => {
      const { guardrail, inputs } = await inputsFor();
      for (const input of inputs) {
        const verdict = guardrailVerdictSchema.parse(await check(guardrail, input));
        for (const text of options.sensitive ?? []) expect(verdict.reason ?? '').not.toContain(text);
      }
    });
  });
}

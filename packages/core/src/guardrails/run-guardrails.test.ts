import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { createGuardrailInput } from '../testing/guardrail-conformance.ts';
import { createBlocklistGuardrail } from './builtin/blocklist-guardrail.ts';
import { createPiiGuardrail } from './builtin/pii-guardrail.ts';
import type { Guardrail, GuardrailVerdictInput, RecordedVerdict } from './guardrail.ts';
import { contentBlockedError, runGuardrails } from './run-guardrails.ts';

const signal = () => new AbortController().signal;
const fixed = (id: string, verdict: GuardrailVerdictInput, extra: Partial<Guardrail> = {}): Guardrail => ({
  id,
  stage: 'input',
  check: () => verdict,
  ...extra,
});

describe('runGuardrails', () => {
  it('runs in order, chains redactions and combines labels sorted and unique', async () => {
    const seen: string[] = [];
    const upper: Guardrail = {
      id: 'upper',
      stage: 'input',
      check(input) {
        seen.push(input.prompt);
        return {
          action: 'redact',
          labels: ['z:last', 'a:first'],
          redactedPrompt: input.prompt.toUpperCase(),
        };
      },
    };
    const recorder: Guardrail = {
      id: 'recorder',
      stage: 'input',
      check(input) {
        seen.push(input.prompt);
        return { action: 'flag', labels: ['a:first'] };
      },
    };
    const pii = createPiiGuardrail();
    const onVerdict = vi.fn<(verdict: RecordedVerdict) => void>();
    const result = await runGuardrails(
      [pii, upper, recorder],
      createGuardrailInput('mail bob@example.com now'),
      {
        signal: signal(),
        onVerdict,
      },
    );
    expect(seen).toEqual(['mail [EMAIL] now', 'MAIL [EMAIL] NOW']);
    expect(result.prompt).toBe('MAIL [EMAIL] NOW');
    expect(result.labels).toEqual(['a:first', 'pii:email', 'z:last']);
    expect(result.verdicts.map((v) => [v.guardrail, v.action])).toEqual([
      ['pii', 'redact'],
      ['upper', 'redact'],
      ['recorder', 'flag'],
    ]);
    expect(result.verdicts[1]!.labels).toEqual(['a:first', 'z:last']);
    expect(result.verdicts.every((v) => !('redactedPrompt' in v))).toBe(true);
    expect(onVerdict.mock.calls.map(([v]) => v.guardrail)).toEqual(['pii', 'upper', 'recorder']);
    expect(result.blocked).toBeUndefined();
  });

  it('stops at the first block', async () => {
    const after = vi.fn(() => ({ action: 'allow' as const }));
    const result = await runGuardrails(
      [
        createBlocklistGuardrail({ terms: ['weapon'], category: 'weapons' }),
        { id: 'after', stage: 'input', check: after },
      ],
      createGuardrailInput('a w.e.a.p.o.n'),
      { signal: signal() },
    );
    expect(result.blocked).toMatchObject({
      guardrail: 'blocklist',
      action: 'block',
      labels: ['blocklist:weapons'],
    });
    expect(after).not.toHaveBeenCalled();
    expect(result.verdicts).toHaveLength(1);
  });

  it('fails closed on a throw, an invalid verdict or a redaction without text', async () => {
    const failing: Guardrail[] = [
      fixed(
        'thrower',
        { action: 'allow' },
        {
          check: () => {
            throw new Error('boom with secret sk-123456789');
          },
        },
      ),
      fixed('invalid', { action: 'maybe' } as never),
      fixed('redact-nothing', { action: 'redact', labels: ['x:y'] }),
      fixed('rejecter', { action: 'allow' }, { check: () => Promise.reject(new Error('nope')) }),
    ];
    for (const guardrail of failing) {
      const result = await runGuardrails([guardrail], createGuardrailInput('hello'), { signal: signal() });
      expect(result.blocked).toMatchObject({
        guardrail: guardrail.id,
        action: 'block',
        labels: ['guardrail:error'],
      });
      expect(JSON.stringify(result)).not.toContain('sk-123456789');
    }
  });

  it('fails open when configured: flags and goes on', async () => {
    const result = await runGuardrails(
      [
        fixed(
          'flaky',
          { action: 'allow' },
          {
            failMode: 'open',
            check: () => {
              throw new Error('down');
            },
          },
        ),
        fixed('next', { action: 'allow' }),
      ],
      createGuardrailInput('hello'),
      { signal: signal() },
    );
    expect(result.blocked).toBeUndefined();
    expect(result.verdicts.map((v) => [v.guardrail, v.action, v.labels])).toEqual([
      ['flaky', 'flag', ['guardrail:error']],
      ['next', 'allow', []],
    ]);
  });

  it('applies the timeout and aborts the slow guardrail', async () => {
    let innerSignal: AbortSignal | undefined;
    const slow = (failMode: 'open' | 'closed'): Guardrail => ({
      id: 'slow',
      stage: 'input',
      timeoutMs: 10,
      failMode,
      check: (_input, options) => {
        innerSignal = options.signal;
        return new Promise(() => {});
      },
    });
    const closed = await runGuardrails([slow('closed')], createGuardrailInput('x'), { signal: signal() });
    expect(closed.blocked).toMatchObject({ action: 'block', labels: ['guardrail:timeout'] });
    expect(innerSignal?.aborted).toBe(true);
    const open = await runGuardrails([slow('open')], createGuardrailInput('x'), { signal: signal() });
    expect(open.verdicts[0]).toMatchObject({ action: 'flag', labels: ['guardrail:timeout'] });
  });

  it('turns the caller abort into ABORTED, not a guardrail failure', async () => {
    const controller = new AbortController();
    const hanging: Guardrail = { id: 'hang', stage: 'input', check: () => new Promise(() => {}) };
    const run = runGuardrails([hanging], createGuardrailInput('x'), { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    const already = new AbortController();
    already.abort();
    await expect(
      runGuardrails([hanging], createGuardrailInput('x'), { signal: already.signal }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('refuses a guardrail of the other stage', async () => {
    const output: Guardrail = { id: 'out', stage: 'output', check: () => ({ action: 'allow' }) };
    await expect(
      runGuardrails([output], createGuardrailInput('x'), { signal: signal() }),
    ).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
    });
  });

  it('cuts long reasons', async () => {
    const result = await runGuardrails(
      [fixed('chatty', { action: 'flag', labels: ['x:y'], reason: 'r'.repeat(5000) })],
      createGuardrailInput('x'),
      {
        signal: signal(),
      },
    );
    expect(result.verdicts[0]!.reason!.length).toBeLessThanOrEqual(301);
  });
});

describe('contentBlockedError', () => {
  it('names the guardrail and labels, never the prompt', async () => {
    const prompt = 'please draw a w e a p o n for me';
    const result = await runGuardrails(
      [createBlocklistGuardrail({ terms: ['weapon'], category: 'weapons' })],
      createGuardrailInput(prompt),
      {
        signal: signal(),
      },
    );
    const error = contentBlockedError(result.blocked!);
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(error.code).toBe('CONTENT_BLOCKED');
    expect(error.param).toBe('prompt');
    expect(error.message).toContain('"blocklist"');
    expect(error.message).toContain('blocklist:weapons');
    expect(error.message).not.toContain('w e a p o n');
    expect(error.details).toEqual({ guardrail: 'blocklist', stage: 'input', labels: ['blocklist:weapons'] });
  });

  it('describes output blocks without a param', () => {
    const error = contentBlockedError({
      guardrail: 'image-integrity',
      stage: 'output',
      labels: ['output:not_an_image'],
    });
    expect(error.param).toBeUndefined();
    expect(error.message).toMatch(/^The generated output was blocked/);
  });
});

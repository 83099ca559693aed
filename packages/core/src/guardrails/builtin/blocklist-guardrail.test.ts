import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import { createGuardrailInput, describeGuardrailConformance } from '../../testing/guardrail-conformance.ts';
import { createBlocklistGuardrail } from './blocklist-guardrail.ts';

const guardrail = createBlocklistGuardrail({
  categories: {
    weapons: { terms: ['weapon', 'pipe bomb', 'assault rifle'] },
    drugs: { terms: ['cocaine'], action: 'flag' },
    codes: { patterns: [/\bproject\s*x-?\d{3}\b/i] },
  },
});
const check = async (prompt: string) =>
  guardrail.check(createGuardrailInput(prompt), { signal: new AbortController().signal });

describe('createBlocklistGuardrail', () => {
  it.each([
    ['plain', 'draw a weapon on a table'],
    ['upper case', 'DRAW A WEAPON'],
    ['plural', 'a rack of weapons'],
    ['cyrillic look-alikes', 'a wеаpоn on a table'], // е, а, о are Cyrillic
    ['greek look-alikes', 'a wεαpοn'],
    ['fullwidth', 'a ｗｅａｐｏｎ'],
    ['leetspeak', 'a w34p0n'],
    ['leet symbols', 'a we@pon'],
    ['zero-width characters', 'a we\u200Bap\u200Don'],
    ['soft hyphen', 'a wea\u00ADpon'],
    ['spaced letters', 'a w e a p o n please'],
    ['dotted letters', 'a w.e.a.p.o.n please'],
    ['dashed letters', 'a w-e-a-p-o-n'],
    ['mixed separators', 'a w_e.a p-o n'],
    ['accents', 'a wéâpön'],
    ['repeated letters', 'a weeeeaaapon'],
    ['repeated letters spread out', 'a w e e a p p o n'],
    ['multi-word term joined', 'a pipebomb'],
    ['multi-word term spread', 'a pipe-bomb'],
    ['multi-word term with extra spaces', 'an assault   rifle'],
  ])('blocks %s', async (_name, prompt) => {
    const verdict = await check(prompt);
    expect(verdict.action).toBe('block');
    expect(verdict.labels).toEqual(['blocklist:weapons']);
    expect(verdict.reason).toBe('The prompt matches the blocklist (weapons).');
    expect(verdict.reason).not.toContain(prompt);
  });

  it.each([
    ['an unrelated word containing the term', 'a weaponless knight'],
    ['harmless text', 'a quiet harbour at dawn with sailing boats'],
    ['partial overlap', 'the pipe is bombastic'],
    ['a long run of one letter', `${'a '.repeat(5000)}and ${'b'.repeat(100_000)}`],
  ])('allows %s', async (_name, prompt) => {
    expect((await check(prompt)).action).toBe('allow');
  });

  it('flags a category configured to flag and labels every category found', async () => {
    expect(await check('a bag of cocaine')).toMatchObject({ action: 'flag', labels: ['blocklist:drugs'] });
    const both = await check('cocaine and a weapon');
    expect(both).toMatchObject({ action: 'block', labels: ['blocklist:drugs', 'blocklist:weapons'] });
  });

  it('matches patterns on the folded text', async () => {
    expect((await check('plans for Project X-123')).labels).toEqual(['blocklist:codes']);
    expect((await check('plans for ＰＲＯＪＥＣＴ X123')).labels).toEqual(['blocklist:codes']);
    expect((await check('project xylophone')).action).toBe('allow');
  });

  it('patterns with the global flag give the same answer on every call', async () => {
    const g = createBlocklistGuardrail({ patterns: [/secret/g], category: 'internal' });
    const input = createGuardrailInput('the secret plan');
    const signal = new AbortController().signal;
    expect((await g.check(input, { signal })).action).toBe('block');
    expect((await g.check(input, { signal })).action).toBe('block');
  });

  it('does not scan the negative prompt', async () => {
    const verdict = await guardrail.check(
      createGuardrailInput({ prompt: 'a castle', negativePrompt: 'weapons' }),
      {
        signal: new AbortController().signal,
      },
    );
    expect(verdict.action).toBe('allow');
  });

  it('handles a very long prompt with the term at the end', async () => {
    const prompt = `${'a calm meadow '.repeat(20_000)}and a w e a p o n`;
    expect((await check(prompt)).action).toBe('block');
  });

  it('rejects bad configuration with CONFIGURATION_ERROR', () => {
    expect(() => createBlocklistGuardrail({})).toThrow(GatewayError);
    expect(() => createBlocklistGuardrail({ categories: { 'Bad Name': { terms: ['x'] } } })).toThrow(
      /not a valid label/,
    );
    expect(() => createBlocklistGuardrail({ terms: ['  '] })).toThrow(/empty after normalization/);
    expect(() => createBlocklistGuardrail({ patterns: ['('] })).toThrow(/invalid pattern/);
  });
});

describeGuardrailConformance({
  name: 'blocklist',
  create: () => createBlocklistGuardrail({ categories: { arms: { terms: ['weapon'] } } }),
  samples: ['a harbour', 'a w e a p o n', 'a wеаpоn', { prompt: 'x', negativePrompt: 'weapon' }],
  sensitive: ['weapon', 'w e a p o n'],
});

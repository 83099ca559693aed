import { createGateway, GatewayError, MemoryAuditSink } from '@pixelgate/core';
import {
  createGuardrailInput,
  createMockImageProvider,
  describeGuardrailConformance,
} from '@pixelgate/core/testing';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_TERMS } from './policy.ts';
import { createTrademarkGuardrail } from './trademark-guardrail.ts';

const check = (prompt: string, negativePrompt?: string, scanNegativePrompt = false) =>
  createTrademarkGuardrail({ terms: EXAMPLE_TERMS, scanNegativePrompt }).check(
    createGuardrailInput(negativePrompt === undefined ? prompt : { prompt, negativePrompt }),
    { signal: new AbortController().signal },
  );

describeGuardrailConformance({
  name: 'trademark',
  create: () => createTrademarkGuardrail({ terms: EXAMPLE_TERMS }),
  samples: [
    'a lighthouse at dusk',
    'an Acme anvil falling',
    'the Initech office',
    'GLOBEX-corp tower at night',
  ],
  sensitive: ['Acme', 'Initech', 'Globex'],
});

describe('trademark guardrail', () => {
  it('allows a prompt naming no protected brand, including words that merely contain one', async () => {
    expect(await check('a lighthouse at dusk')).toEqual({ action: 'allow', labels: [] });
    expect((await check('the town of Acmeville at noon')).action).toBe('allow');
  });

  it('redacts every way of writing a protected name and keeps the rest of the prompt', async () => {
    const verdict = await check("ACME™ rocket skates and Acme's anvil, by Globex  Corporation");
    expect(verdict).toMatchObject({ action: 'redact', labels: ['trademark:acme', 'trademark:globex'] });
    expect(verdict.redactedPrompt).toBe(
      'a generic hardware company rocket skates and a generic hardware company anvil, by a generic brand',
    );
    expect(verdict.reason).not.toMatch(/acme|globex/i);
  });

  it('blocks when any blocked name appears, even beside redactable ones', async () => {
    const verdict = await check('an Acme anvil on an Initech desk');
    expect(verdict.action).toBe('block');
    expect(verdict.labels).toEqual(['trademark:acme', 'trademark:initech']);
    expect(verdict.redactedPrompt).toBeUndefined();
    expect(verdict.reason).not.toMatch(/initech|acme/i);
  });

  it('leaves the negative prompt alone unless asked to scan it', async () => {
    expect((await check('a red anvil', 'no Acme logos')).action).toBe('allow');
    const verdict = await check('a red anvil', 'no Acme logos', true);
    expect(verdict).toMatchObject({
      action: 'redact',
      redactedNegativePrompt: 'no a generic hardware company logos',
    });
  });

  it('refuses invalid options at construction with CONFIGURATION_ERROR naming the field', () => {
    const attempt = (terms: unknown) => () => createTrademarkGuardrail({ terms } as never);
    expect(attempt([])).toThrow(/at least one term/);
    let caught: unknown;
    try {
      attempt([{ term: 'Acme', action: 'erase' }])();
    } catch (error) {
      caught = error;
    }
    expect(GatewayError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'CONFIGURATION_ERROR', param: 'terms.0.action' });
  });
});

describe('trademark guardrail in a gateway', () => {
  const setup = () => {
    const provider = createMockImageProvider();
    const auditSink = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [provider],
      guardrails: [createTrademarkGuardrail({ terms: EXAMPLE_TERMS })],
      auditSink,
    });
    return { provider, auditSink, gateway };
  };

  it('sends the redacted prompt upstream and records the labels in the audit record', async () => {
    const { provider, auditSink, gateway } = setup();
    const result = await gateway.generate({ model: 'mock/mock-image', prompt: 'an Acme anvil' });
    expect(provider.calls.map((entry) => entry.call.prompt)).toEqual(['an a generic hardware company anvil']);
    expect(result.labels).toContain('trademark:acme');
    expect(JSON.stringify(auditSink.records)).toContain('trademark:acme');
    await gateway.close();
  });

  it('refuses a blocked prompt with CONTENT_BLOCKED before any provider call', async () => {
    const { provider, auditSink, gateway } = setup();
    await expect(
      gateway.generate({ model: 'mock/mock-image', prompt: 'the Initech office' }),
    ).rejects.toMatchObject({
      code: 'CONTENT_BLOCKED',
    });
    expect(provider.calls).toHaveLength(0);
    expect(auditSink.records).toHaveLength(1);
    expect(auditSink.records[0]).toMatchObject({
      outcome: 'blocked',
      labels: ['trademark:initech'],
      error: { code: 'CONTENT_BLOCKED' },
    });
    await gateway.close();
  });

  it('gives each of many concurrent requests its own verdict', async () => {
    const { provider, gateway } = setup();
    const prompts = Array.from({ length: 24 }, (_, index) =>
      index % 3 === 0 ? `Initech ${index}` : index % 3 === 1 ? `Acme ${index}` : `plain ${index}`,
    );
    const outcomes = await Promise.allSettled(
      prompts.map((prompt) => gateway.generate({ model: 'mock/mock-image', prompt })),
    );
    outcomes.forEach((outcome, index) => {
      if (index % 3 === 0) expect(outcome.status).toBe('rejected');
      else expect(outcome.status).toBe('fulfilled');
    });
    const sent = provider.calls.map((entry) => entry.call.prompt).sort();
    const expected = prompts
      .filter((_, index) => index % 3 !== 0)
      .map((prompt) => prompt.replace('Acme', 'a generic hardware company'))
      .sort();
    expect(sent).toEqual(expected);
    await gateway.close();
  });
});

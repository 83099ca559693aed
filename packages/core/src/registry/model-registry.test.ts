import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { ModelRegistry } from './model-registry.ts';

const model = (id: string, extra: Partial<ModelDescriptorInput> = {}): ModelDescriptorInput => ({
  ...MOCK_MODEL,
  id,
  aliases: [],
  ...extra,
});

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('ModelRegistry', () => {
  const openai = createMockImageProvider({
    id: 'openai',
    models: [model('dall-e-3', { aliases: ['dalle3'] }), model('gpt-image-1.5')],
  });
  const azure = createMockImageProvider({ id: 'azure', models: [model('dall-e-3')] });

  it('resolves qualified ids, bare ids and aliases to one model', () => {
    const registry = new ModelRegistry({ providers: [openai] });
    expect(registry.resolve('openai/dall-e-3').model.id).toBe('dall-e-3');
    expect(registry.resolve('dall-e-3').model.provider).toBe('openai');
    expect(registry.resolve('dalle3').model.id).toBe('dall-e-3');
    expect(registry.resolve('openai/dalle3').model.id).toBe('dall-e-3');
  });

  it('refuses a bare id that two providers serve, naming both', () => {
    const registry = new ModelRegistry({ providers: [openai, azure] });
    const error = thrown(() => registry.resolve('dall-e-3'));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('model');
    expect(error.message).toContain("'openai/dall-e-3'");
    expect(error.message).toContain("'azure/dall-e-3'");
  });

  it('answers MODEL_NOT_FOUND with close matches', () => {
    const registry = new ModelRegistry({ providers: [openai] });
    const error = thrown(() => registry.resolve('dall-e3'));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.details?.suggestions).toContain('openai/dall-e-3');
    expect(thrown(() => registry.resolve('something-else-entirely-xyz')).details?.suggestions).toEqual([]);
  });

  it('warns on a deprecated model and refuses a retired one naming its replacement', () => {
    const provider = createMockImageProvider({
      id: 'p',
      models: [
        model('old', { lifecycle: { status: 'deprecated', retiresOn: '2030-01-01', replacement: 'p/new' } }),
        model('gone', { lifecycle: { status: 'active', retiresOn: '2026-05-12', replacement: 'p/new' } }),
        model('new'),
      ],
    });
    const registry = new ModelRegistry({ providers: [provider], now: () => Date.parse('2026-11-21') });
    const resolved = registry.resolve('p/old');
    expect(resolved.warnings).toHaveLength(1);
    expect(resolved.warnings[0]!.type).toBe('deprecated');
    expect(resolved.warnings[0]!.message).toContain("'p/new'");
    const error = thrown(() => registry.resolve('gone'));
    expect(error.code).toBe('MODEL_RETIRED');
    expect(error.status).toBe(410);
    expect(error.details?.replacement).toBe('p/new');
    expect(registry.get('p/gone')?.lifecycle.status).toBe('retired');
  });

  it('adds a model by configuration with extends, and patches an existing one', () => {
    const registry = new ModelRegistry({
      providers: [openai],
      models: [
        {
          provider: 'openai',
          id: 'gpt-image-1.5-2026-01-01',
          extends: 'gpt-image-1.5',
          capabilities: { maxImagesPerCall: 2 },
        },
        { provider: 'openai', id: 'dall-e-3', lifecycle: { status: 'active' }, aliases: ['d3'] },
      ],
    });
    const added = registry.resolve('openai/gpt-image-1.5-2026-01-01').model;
    expect(added.capabilities.maxImagesPerCall).toBe(2);
    expect(added.capabilities.maxPromptLength).toBe(4000);
    expect(registry.resolve('d3').model.id).toBe('dall-e-3');
  });

  it('refuses bad configuration with CONFIGURATION_ERROR', () => {
    expect(
      thrown(() => new ModelRegistry({ providers: [openai, createMockImageProvider({ id: 'openai' })] }))
        .code,
    ).toBe('CONFIGURATION_ERROR');
    expect(
      thrown(() => new ModelRegistry({ providers: [openai], models: [{ provider: 'nope', id: 'x' }] }))
        .message,
    ).toContain("'nope'");
    expect(
      thrown(
        () =>
          new ModelRegistry({
            providers: [openai],
            models: [{ provider: 'openai', id: 'x', extends: 'missing' }],
          }),
      ).message,
    ).toContain("'missing'");
    expect(
      thrown(
        () => new ModelRegistry({ providers: [openai], models: [{ provider: 'openai', id: 'brand-new' }] }),
      ).message,
    ).toContain('incomplete');
    const bad = createMockImageProvider({
      id: 'bad',
      models: [{ ...MOCK_MODEL, capabilities: { ...MOCK_MODEL.capabilities, maxImagesPerCall: 0 } }],
    });
    expect(thrown(() => new ModelRegistry({ providers: [bad] })).code).toBe('CONFIGURATION_ERROR');
  });
});

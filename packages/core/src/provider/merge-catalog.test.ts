import { describe, expect, it } from 'vitest';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import { mergeCatalog } from './merge-catalog.ts';

const model = (id: string, maxPromptLength = 100, provider = 'built-in'): ModelDescriptorInput => ({
  id,
  provider,
  capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 1, maxPromptLength },
});

describe('mergeCatalog', () => {
  it('keeps built-in order, replaces by id, appends new ids, and stamps the provider id on all', () => {
    const builtIn = [model('a'), model('b')];
    const merged = mergeCatalog('acme', builtIn, [model('b', 7, 'other'), model('c', 100, '')]);
    expect(merged.map((entry) => entry.id)).toEqual(['a', 'b', 'c']);
    expect(merged.find((entry) => entry.id === 'b')?.capabilities.maxPromptLength).toBe(7);
    expect(merged.every((entry) => entry.provider === 'acme')).toBe(true);
    expect(builtIn.every((entry) => entry.provider === 'built-in')).toBe(true);
  });

  it('returns the built-in catalog when nothing is added', () => {
    expect(mergeCatalog('acme', [model('a')], undefined).map((entry) => entry.provider)).toEqual(['acme']);
  });
});

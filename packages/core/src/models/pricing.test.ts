import { describe, expect, it } from 'vitest';
import { modelDescriptorSchema } from './model-descriptor.ts';
import { estimateImagePrice } from './pricing.ts';

const model = modelDescriptorSchema.parse({
  id: 'm',
  provider: 'p',
  capabilities: { maxImagesPerCall: 1, maxPromptLength: 10 },
  pricing: {
    perImage: [
      { usd: 0.04 },
      { size: '1024x1024', usd: 0.08 },
      { operation: 'edit', usd: 0.05 },
      { operation: 'edit', size: '1024x1024', usd: 0.09 },
      { operation: 'variation', usd: 0.02 },
    ],
  },
});

describe('estimateImagePrice by operation', () => {
  it('prices each operation with its own rows, and rows without an operation for any', () => {
    expect(estimateImagePrice(model, { n: 2 }).usd).toBe(0.08);
    expect(estimateImagePrice(model, { n: 1, size: '1024x1024' }).usd).toBe(0.08);
    expect(estimateImagePrice(model, { n: 1, operation: 'edit' }).usd).toBe(0.05);
    expect(estimateImagePrice(model, { n: 1, operation: 'edit', size: '1024x1024' }).usd).toBe(0.09);
    expect(estimateImagePrice(model, { n: 3, operation: 'variation' }).usd).toBe(0.06);
  });

  it('falls back to a row without an operation, and is unknown when nothing matches', () => {
    const onlyEdit = modelDescriptorSchema.parse({
      ...model,
      pricing: { perImage: [{ operation: 'edit', usd: 0.05 }] },
    });
    expect(estimateImagePrice(onlyEdit, { n: 1 })).toEqual({ usd: undefined, basis: 'unknown' });
    const generic = modelDescriptorSchema.parse({ ...model, pricing: { perImage: [{ usd: 0.03 }] } });
    expect(estimateImagePrice(generic, { n: 1, operation: 'variation' }).usd).toBe(0.03);
  });
});

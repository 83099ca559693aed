import { describe, expect, it } from 'vitest';
import { type ModelDescriptor, modelDescriptorSchema } from '../models/model-descriptor.ts';
import { maskPng } from '../testing/mask-png.ts';
import { solidPng } from '../testing/solid-png.ts';
import { validateOperation } from './validate-operation.ts';

const base = {
  id: 'plain',
  provider: 'p',
  capabilities: { sizes: ['256x256'], maxImagesPerCall: 1, maxPromptLength: 100 },
};
const plain = modelDescriptorSchema.parse(base);
const editor = modelDescriptorSchema.parse({
  ...base,
  id: 'editor',
  capabilities: {
    ...base.capabilities,
    edit: {
      maxImages: 2,
      input: { maxBytes: 100_000, maxPixels: 1_000_000 },
      mask: { convention: 'luminance' },
    },
    stream: { maxPartialImages: 2, operations: ['edit'] },
  },
});
const models = (): ModelDescriptor[] => [plain, editor];
const image = { field: 'image', bytes: solidPng(32, 32) };

describe('validateOperation', () => {
  it('adds nothing to a plain generation (and does not list the models)', () => {
    const result = validateOperation('generate', {}, undefined, plain, 'strict', () => {
      throw new Error('listed');
    });
    expect(result).toEqual({ call: { operation: 'generate' }, warnings: [] });
  });

  it('checks an edit: images and mask facts, the conversion owed, partial images when streaming natively', () => {
    const mask = { field: 'mask', bytes: maskPng(32, 32, 'alpha') };
    const result = validateOperation(
      'edit',
      { stream: true, partial_images: 2 },
      { images: [image], mask },
      editor,
      'strict',
      models,
    );
    expect(result.call.images?.[0]).toMatchObject({ filename: 'image-0.png', width: 32 });
    expect(result.call.mask?.convention).toBe('alpha');
    expect(result.maskConversion).toEqual({ from: 'alpha', to: 'luminance' });
    expect(result.inputImages?.map((i) => i.field)).toEqual(['image', 'mask']);
    expect(result.call.partialImages).toBe(2);
    expect(result.stream).toEqual({ native: true, partialImagesRequested: 2 });
  });

  it('refuses what the model cannot do, naming the field, and coerces the stream under coerce', () => {
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { param?: string }).param;
      }
      return 'not refused';
    };
    expect(refused(() => validateOperation('edit', {}, { images: [image] }, plain, 'strict', models))).toBe(
      'model',
    );
    expect(
      refused(() => validateOperation('variation', {}, { images: [image] }, editor, 'strict', models)),
    ).toBe('model');
    expect(
      refused(() =>
        validateOperation('edit', {}, { images: [image, image, image] }, editor, 'strict', models),
      ),
    ).toBe('image');
    expect(
      refused(() => validateOperation('generate', { stream: true }, undefined, editor, 'strict', models)),
    ).toBe('stream');
    expect(
      refused(() =>
        validateOperation('edit', { partial_images: 3 }, { images: [image] }, editor, 'strict', models),
      ),
    ).toBe('partial_images');
    const coerced = validateOperation(
      'generate',
      { stream: true, partial_images: 1 },
      undefined,
      editor,
      'coerce',
      models,
    );
    expect(coerced.call.partialImages).toBeUndefined();
    expect(coerced.stream).toEqual({ native: false, partialImagesRequested: 0 });
    expect(coerced.warnings[0]).toMatchObject({ type: 'unsupported', param: 'stream' });
  });
});

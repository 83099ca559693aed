import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { formToEditInput, formToVariationInput, jsonToEditInput } from './image-form.ts';
import type { UploadedFile } from './multipart-body.ts';

const file = (field: string, name = 'a.png'): UploadedFile => ({
  field,
  filename: name,
  declaredType: 'image/png',
  bytes: new Uint8Array([1, 2, 3]),
});

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('formToEditInput', () => {
  it('parses numbers and booleans from their form text and keeps files as image sources', () => {
    const input = formToEditInput({
      fields: { prompt: 'a boat', n: '2', stream: 'true', partial_images: '1', output_compression: '80' },
      files: [file('image[]', 'a.png'), file('image[]', 'b.png'), file('mask', 'm.png')],
    });
    expect(input).toMatchObject({
      prompt: 'a boat',
      n: 2,
      stream: true,
      partial_images: 1,
      output_compression: 80,
    });
    expect((input.image as Array<{ filename: string }>).map((source) => source.filename)).toEqual([
      'a.png',
      'b.png',
    ]);
    expect(input.mask).toMatchObject({ filename: 'm.png', media_type: 'image/png' });
  });

  it.each([
    [{ n: 'two' }, 'n', 'whole number'],
    [{ stream: 'yes' }, 'stream', 'true or false'],
    [{ partial_images: '1.5' }, 'partial_images', 'whole number'],
    [{ metadata: '[1]' }, 'metadata', 'JSON object'],
    [{ prompt: ['a', 'b'] }, 'prompt', 'sent 2 times'],
    [{ image: 'data:image/png;base64,AA==' }, 'image', 'file upload'],
  ])('refuses %j naming the field', (fields, param, words) => {
    const error = refusal(() => formToEditInput({ fields, files: [file('image')] }));
    expect([error.code, error.param]).toEqual(['VALIDATION_ERROR', param]);
    expect(error.message).toContain(words);
  });

  it('refuses 17 images, two masks, no image and unknown file fields', () => {
    const seventeen = Array.from({ length: 17 }, () => file('image[]'));
    expect(refusal(() => formToEditInput({ fields: {}, files: seventeen })).message).toContain('at most 16');
    expect(
      refusal(() => formToEditInput({ fields: {}, files: [file('image'), file('mask'), file('mask')] }))
        .param,
    ).toBe('mask');
    expect(refusal(() => formToEditInput({ fields: { prompt: 'x' }, files: [] })).param).toBe('image');
    expect(refusal(() => formToEditInput({ fields: {}, files: [file('photo')] })).param).toBe('photo');
  });
});

describe('formToVariationInput', () => {
  it('takes exactly one image and no mask', () => {
    expect(formToVariationInput({ fields: { n: '2' }, files: [file('image')] })).toMatchObject({
      n: 2,
      image: { filename: 'a.png' },
    });
    expect(
      refusal(() => formToVariationInput({ fields: {}, files: [file('image'), file('image[]')] })).param,
    ).toBe('image');
    expect(
      refusal(() => formToVariationInput({ fields: {}, files: [file('image'), file('mask')] })).param,
    ).toBe('mask');
  });
});

describe('jsonToEditInput', () => {
  const url = 'data:image/png;base64,iVBORw0KGgo=';
  it("maps OpenAI's images[].image_url and mask.image_url to data URLs", () => {
    expect(
      jsonToEditInput({
        prompt: 'x',
        images: [{ image_url: url }, { image_url: url }],
        mask: { image_url: url },
      }),
    ).toEqual({
      prompt: 'x',
      image: [url, url],
      mask: url,
    });
  });

  it('refuses a file_id (no files API), a web URL and an empty list, naming the field', () => {
    const fileId = refusal(() => jsonToEditInput({ images: [{ file_id: 'file-1' }] }));
    expect([fileId.param, fileId.message]).toEqual([
      'images[0].file_id',
      expect.stringContaining('no files API'),
    ]);
    expect(
      refusal(() => jsonToEditInput({ images: [{ image_url: 'https://example.com/a.png' }] })).param,
    ).toBe('images[0].image_url');
    expect(refusal(() => jsonToEditInput({ images: [] })).param).toBe('images');
    expect(
      refusal(() => jsonToEditInput({ images: [{ image_url: url }], mask: { file_id: 'f' } })).param,
    ).toBe('mask.file_id');
  });
});

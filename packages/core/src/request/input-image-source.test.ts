import { describe, expect, it } from 'vitest';
import { solidPng } from '../testing/solid-png.ts';
import { imageEditRequestSchema, imageVariationRequestSchema } from './image-edit-request.ts';
import { decodeInputImageSource } from './input-image-source.ts';

const png = solidPng(4, 4);
const b64 = Buffer.from(png).toString('base64');

describe('decodeInputImageSource', () => {
  it('takes bytes, a file object with its declared type and name, and a base64 data URL', () => {
    expect(decodeInputImageSource('image', png)).toEqual({ field: 'image', bytes: png });
    expect(decodeInputImageSource('mask', { data: png, media_type: 'image/png', filename: 'm.png' })).toEqual(
      {
        field: 'mask',
        bytes: png,
        declaredType: 'image/png',
        filename: 'm.png',
      },
    );
    const decoded = decodeInputImageSource('image[1]', `data:image/png;base64,${b64}`);
    expect(Buffer.from(decoded.bytes).equals(Buffer.from(png))).toBe(true);
    expect(decoded.declaredType).toBe('image/png');
  });

  it('refuses URLs (never fetched), other strings and broken data URLs, naming the field without echoing data', () => {
    const cases: Array<[string, RegExp]> = [
      ['https://169.254.169.254/latest/meta-data', /does not download images/],
      ['http://example.com/a.png', /does not download images/],
      ['file:///etc/passwd', /image bytes or a data: URL/],
      ['data:image/png,rawtext', /base64 data: URL/],
      [`data:image/png;base64,${b64.slice(0, 10)}!!`, /not valid base64/],
      ['data:image/png;base64,', /not valid base64/],
    ];
    for (const [source, message] of cases) {
      let caught: { code?: string; param?: string; message?: string } = {};
      try {
        decodeInputImageSource('image[2]', source);
      } catch (error) {
        caught = error as typeof caught;
      }
      expect(caught).toMatchObject({ code: 'VALIDATION_ERROR', param: 'image[2]' });
      expect(caught.message).toMatch(message);
      expect(caught.message).not.toContain(b64.slice(0, 10));
    }
  });
});

describe('the edit and variation schemas', () => {
  it('take one image or up to 16, and refuse unknown fields', () => {
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: png }).success).toBe(true);
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: Array(16).fill(png) }).success).toBe(true);
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: Array(17).fill(png) }).success).toBe(false);
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: [] }).success).toBe(false);
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: png, partial_images: 4 }).success).toBe(
      false,
    );
    expect(imageEditRequestSchema.safeParse({ prompt: 'x', image: png, strength: 1 }).success).toBe(false);
    expect(imageVariationRequestSchema.safeParse({ image: png, n: 2 }).success).toBe(true);
    expect(imageVariationRequestSchema.safeParse({ image: png, prompt: 'x' }).success).toBe(false);
    expect(imageVariationRequestSchema.safeParse({ image: 42 }).success).toBe(false);
  });
});

import { drawTestImage, sniffImage } from '@pixelgate/core/provider-utils';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

/**
 * Core's dependency-free test-image encoders (used by every fake provider server) checked against
 * a real decoder: libvips through sharp, which this package already depends on.
 */
describe('drawTestImage decodes in a real decoder', () => {
  const sizes: Array<[number, number]> = [
    [1, 1],
    [7, 13],
    [333, 17],
    [1536, 1024],
  ];
  for (const format of ['png', 'jpeg', 'webp'] as const) {
    it(`${format}: the declared size, the declared type, and a colour from the prompt`, async () => {
      for (const [width, height] of sizes) {
        const bytes = drawTestImage({ width, height, format, prompt: 'a red fox', seed: 3 });
        expect(sniffImage(bytes)).toEqual({ mediaType: `image/${format}`, width, height });
        const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.format]).toEqual([width, height, 'raw']);
        expect(data.length).toBeGreaterThanOrEqual(width * height * 3);
      }
    });
  }

  it('jpeg and webp keep the colour they were asked for', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const one = drawTestImage({ width: 16, height: 16, format, prompt: 'one' });
      const other = drawTestImage({ width: 16, height: 16, format, prompt: 'other' });
      expect(Buffer.from(one).equals(Buffer.from(other))).toBe(false);
      const pixels = await sharp(one).raw().toBuffer();
      const again = await sharp(drawTestImage({ width: 16, height: 16, format, prompt: 'one' }))
        .raw()
        .toBuffer();
      expect(pixels.equals(again)).toBe(true);
    }
  });

  it('noise makes PNGs large, as size-limit tests need', () => {
    const smooth = drawTestImage({ width: 512, height: 512 });
    const noisy = drawTestImage({ width: 512, height: 512, noise: 0.35 });
    expect(noisy.byteLength).toBeGreaterThan(smooth.byteLength * 20);
  });

  it('refuses sizes it cannot draw', () => {
    expect(() => drawTestImage({ width: 0, height: 10 })).toThrow(RangeError);
    expect(() => drawTestImage({ width: 20_000, height: 10, format: 'webp' })).toThrow(RangeError);
  });
});

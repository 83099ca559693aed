import { describe, expect, it } from 'vitest';
import { encodeSolidJpeg } from '../provider/test-image.ts';
import { maskPng } from '../testing/mask-png.ts';
import { solidPng } from '../testing/solid-png.ts';
import { checkInputImage, checkMaskHasAlpha, checkMaskMatches } from './input-image.ts';

const LIMITS = { maxBytes: 1024 * 1024, maxPixels: 4096 * 4096, maxSide: 4096 };

/** A PNG whose header claims the given size (only the header is read, so no such image needs to exist). */
function pngClaiming(width: number, height: number): Uint8Array {
  const bytes = solidPng(8, 8).slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

describe('checkInputImage', () => {
  it('accepts an image within the limits and gives its facts (the hash, never the bytes, goes to the audit)', () => {
    const checked = checkInputImage('image', solidPng(64, 32), LIMITS, 'image/png');
    expect(checked).toMatchObject({ field: 'image', mediaType: 'image/png', width: 64, height: 32 });
    expect(checked.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses what is not an image, a declared type that lies, and a type the model does not take', () => {
    expect(() => checkInputImage('image', new TextEncoder().encode('%PDF-1.7 not an image'), LIMITS)).toThrow(
      /not an image/,
    );
    expect(() => checkInputImage('image[]', solidPng(8, 8), LIMITS, 'image/jpeg')).toThrow(
      /sent as image\/jpeg but its bytes are image\/png/,
    );
    expect(() => checkInputImage('image', solidPng(8, 8), { ...LIMITS, mediaTypes: ['image/jpeg'] })).toThrow(
      /takes jpeg/,
    );
  });

  it('refuses a decompression bomb from its header, without decoding it, and an oversized file or side', () => {
    const error = (() => {
      try {
        checkInputImage('image', pngClaiming(60_000, 60_000), { ...LIMITS, maxSide: undefined });
      } catch (thrown) {
        return thrown as { param: string; message: string };
      }
    })();
    expect(error).toMatchObject({ param: 'image' });
    expect(error?.message).toContain('3600000000 pixels');
    expect(() => checkInputImage('image', pngClaiming(5000, 10), LIMITS)).toThrow(/sides up to 4096/);
    expect(() => checkInputImage('image', solidPng(8, 8), { ...LIMITS, maxBytes: 10 })).toThrow(
      /up to 10 bytes/,
    );
  });

  it('requires the mask to be the size of the image', () => {
    const image = checkInputImage('image', solidPng(64, 64), LIMITS);
    expect(() => checkMaskMatches(checkInputImage('mask', solidPng(32, 32), LIMITS), image)).toThrow(
      /mask is 32x32 but the image is 64x64/,
    );
    expect(() => checkMaskMatches(checkInputImage('mask', solidPng(64, 64), LIMITS), image)).not.toThrow();
  });
});

describe('checkInputImage: side and shape limits, and mask transparency', () => {
  it('refuses an image below minSide and a non-square one where the model wants squares', () => {
    expect(() => checkInputImage('image', solidPng(32, 32), { ...LIMITS, minSide: 64 })).toThrow(
      /at least 64/,
    );
    expect(() => checkInputImage('image', solidPng(64, 32), { ...LIMITS, square: true })).toThrow(/square/);
    expect(checkInputImage('image', solidPng(64, 64), { ...LIMITS, square: true, minSide: 64 }).width).toBe(
      64,
    );
  });

  it('accepts an alpha mask with transparency and refuses one without (PNG without alpha, JPEG)', () => {
    const withAlpha = checkInputImage('mask', maskPng(8, 8, 'alpha'), LIMITS);
    expect(() => checkMaskHasAlpha(withAlpha)).not.toThrow();
    const opaque = checkInputImage('mask', maskPng(8, 8, 'luminance'), LIMITS);
    expect(() => checkMaskHasAlpha(opaque)).toThrow(/without an alpha channel/);
    const jpeg = checkInputImage('mask', encodeSolidJpeg(8, 8, [0, 0, 0]), LIMITS);
    expect(() => checkMaskHasAlpha(jpeg)).toThrow(/image\/jpeg/);
  });
});

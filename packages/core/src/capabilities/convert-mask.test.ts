import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ProviderMask } from '../provider/image-provider.ts';
import { maskPng } from '../testing/mask-png.ts';
import { convertMask, sharpFrom } from './convert-mask.ts';

function maskOf(convention: 'alpha' | 'luminance'): ProviderMask {
  return {
    bytes: maskPng(16, 8, convention),
    mediaType: 'image/png',
    width: 16,
    height: 8,
    sha256: 'x',
    filename: 'mask.png',
    convention,
  };
}

describe('convertMask', () => {
  it('turns transparent (edit) into white and opaque into black, as a greyscale PNG of the same size', async () => {
    const converted = await convertMask(maskOf('alpha'), 'luminance');
    expect(converted).toMatchObject({
      convention: 'luminance',
      mediaType: 'image/png',
      width: 16,
      height: 8,
    });
    expect(converted.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await sharp(converted.bytes).metadata()).channels).toBe(1);
    const { data, info } = await sharp(converted.bytes)
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([16, 8, 1]);
    expect([data[0], data[7], data[8], data[15]]).toEqual([255, 255, 0, 0]);
  });

  it('turns white (edit) into transparent and black into opaque, as an RGBA PNG', async () => {
    const converted = await convertMask(maskOf('luminance'), 'alpha');
    const { data, info } = await sharp(converted.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect([data[3], data[7 * 4 + 3], data[8 * 4 + 3], data[15 * 4 + 3]]).toEqual([0, 0, 255, 255]);
  });

  it('leaves a mask already in the convention alone, without loading sharp', async () => {
    const mask = maskOf('alpha');
    expect(await convertMask(mask, 'alpha', () => Promise.reject(new Error('not loaded')))).toBe(mask);
  });

  it('reports a missing sharp as a CONFIGURATION_ERROR saying what to install', async () => {
    const notInstalled = Object.assign(new Error("Cannot find package 'sharp'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await convertMask(maskOf('alpha'), 'luminance', () =>
      sharpFrom(Promise.reject(notInstalled)),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringMatching(/npm install sharp/),
    });
    expect((await sharpFrom(import('sharp')))(maskOf('alpha').bytes)).toBeDefined();
  });
});

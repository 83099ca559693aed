import { GatewayError, type ProviderCall, sniffImage } from '@pixelgate/core/provider-utils';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  busyPicture,
  callContext,
  flatPicture,
  generateCall,
  halfMask,
  inputImage,
  meanDifference,
  pngFromRgba,
  rgbaOf,
} from '../test/local-test-images.ts';
import { createLocalProvider } from './local-provider.ts';

const W = 96;
const H = 64;
const provider = createLocalProvider();

/** An edit call of the input images (and mask) at the first image's size unless `size` is given. */
function editCall(
  images: Uint8Array[],
  extra: Partial<ProviderCall> & { maskBytes?: Uint8Array; convention?: 'alpha' | 'luminance' } = {},
): ProviderCall {
  const { maskBytes, convention, ...rest } = extra;
  const { size: _size, ...base } = generateCall({ size: '256x256', seed: 5 });
  return {
    ...base,
    operation: 'edit',
    prompt: 'paint a red door',
    images: images.map((bytes, index) => inputImage(bytes, index)),
    ...(maskBytes ? { mask: { ...inputImage(maskBytes), convention: convention ?? 'alpha' } } : {}),
    ...rest,
  };
}

async function editedPixels(call: ProviderCall) {
  const result = await provider.edit!(call, callContext());
  expect(result.images).toHaveLength(call.n);
  return rgbaOf(result.images[0]!.bytes);
}

const leftHalf = (x: number) => x < W / 2;
const rightHalf = (x: number) => x >= W / 2;

describe('local edits', () => {
  it('honours an alpha mask on real pixels: kept pixels are unchanged, edited ones change', async () => {
    const input = await busyPicture(W, H);
    const before = await rgbaOf(input);
    const after = await editedPixels(editCall([input], { maskBytes: await halfMask(W, H) }));
    expect([after.width, after.height]).toEqual([W, H]);
    const changedKept: string[] = [];
    let changedEdited = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const at = (y * W + x) * 4;
        const same = before.data.subarray(at, at + 4).equals(after.data.subarray(at, at + 4));
        if (leftHalf(x) && !same) changedKept.push(`${x},${y}`);
        if (rightHalf(x) && !same) changedEdited++;
      }
    }
    expect(changedKept).toEqual([]);
    expect(changedEdited).toBeGreaterThan((W / 2) * H * 0.9);
  });

  it('edits less where the mask is only partly transparent, and everywhere without a mask', async () => {
    const input = await busyPicture(W, H);
    const before = (await rgbaOf(input)).data;
    const open = (await editedPixels(editCall([input], { maskBytes: await halfMask(W, H, 0) }))).data;
    const half = (await editedPixels(editCall([input], { maskBytes: await halfMask(W, H, 128) }))).data;
    const none = (await editedPixels(editCall([input]))).data;
    const openChange = meanDifference(before, open, W, rightHalf);
    const halfChange = meanDifference(before, half, W, rightHalf);
    expect(halfChange).toBeGreaterThan(0);
    expect(halfChange).toBeLessThan(openChange * 0.75);
    expect(meanDifference(before, none, W, leftHalf)).toBeGreaterThan(5);
    expect(meanDifference(before, none, W, rightHalf)).toBeCloseTo(openChange, 5);
  });

  it('reads a luminance mask when the model declares that convention (white is edited)', async () => {
    const input = await busyPicture(W, H);
    const white = Buffer.alloc(W * H * 4, 0);
    for (let i = 0; i < W * H; i++) {
      white[i * 4 + 3] = 255;
      if (i % W < W / 2) white.fill(255, i * 4, i * 4 + 3);
    }
    const before = (await rgbaOf(input)).data;
    const after = (
      await editedPixels(
        editCall([input], { maskBytes: await pngFromRgba(white, W, H), convention: 'luminance' }),
      )
    ).data;
    expect(meanDifference(before, after, W, rightHalf)).toBe(0);
    expect(meanDifference(before, after, W, leftHalf)).toBeGreaterThan(5);
  });

  it('is deterministic in the image, prompt and seed, and the prompt changes only the edited area', async () => {
    const input = await busyPicture(W, H);
    const mask = await halfMask(W, H);
    const once = await provider.edit!(editCall([input], { maskBytes: mask }), callContext());
    const again = await provider.edit!(editCall([input], { maskBytes: mask }), callContext());
    expect(Buffer.from(once.images[0]!.bytes).equals(Buffer.from(again.images[0]!.bytes))).toBe(true);
    const first = await rgbaOf(once.images[0]!.bytes);
    const other = await editedPixels(editCall([input], { maskBytes: mask, prompt: 'paint a blue window' }));
    expect(meanDifference(first.data, other.data, W, leftHalf)).toBe(0);
    expect(meanDifference(first.data, other.data, W, rightHalf)).toBeGreaterThan(5);
  });

  it('takes the colours of further reference images into the edited area only', async () => {
    const input = await busyPicture(W, H);
    const mask = await halfMask(W, H);
    const red = await flatPicture(32, 32, [255, 0, 0]);
    const blue = await flatPicture(48, 24, [0, 0, 255]);
    const withRed = (await editedPixels(editCall([input, red], { maskBytes: mask }))).data;
    const withBlue = (await editedPixels(editCall([input, blue], { maskBytes: mask }))).data;
    const mean = (pixels: Buffer, channel: number) => {
      let total = 0;
      for (let i = 0; i < W * H; i++) if (rightHalf(i % W)) total += pixels[i * 4 + channel]!;
      return total / ((W * H) / 2);
    };
    expect(mean(withRed, 0) - mean(withBlue, 0)).toBeGreaterThan(40);
    expect(mean(withBlue, 2) - mean(withRed, 2)).toBeGreaterThan(40);
    expect(meanDifference(withRed, withBlue, W, leftHalf)).toBe(0);
  });

  it('keeps more of the input under input_fidelity high than low', async () => {
    const input = await busyPicture(W, H);
    const before = (await rgbaOf(input)).data;
    const change = async (inputFidelity?: 'low' | 'high') =>
      meanDifference(
        before,
        (await editedPixels(editCall([input], inputFidelity ? { inputFidelity } : {}))).data,
        W,
        () => true,
      );
    const [high, unset, low] = [await change('high'), await change(), await change('low')];
    expect(high).toBeLessThan(unset);
    expect(unset).toBeLessThan(low);
  });

  it('fills a transparent hole in the input where the mask edits it', async () => {
    const holed = Buffer.from((await rgbaOf(await busyPicture(W, H))).data);
    for (let i = 0; i < W * H; i++) if (rightHalf(i % W)) holed[i * 4 + 3] = 0;
    const after = (
      await editedPixels(editCall([await pngFromRgba(holed, W, H)], { maskBytes: await halfMask(W, H) }))
    ).data;
    const notOpaque = [...Array(W * H).keys()].filter((i) => after[i * 4 + 3] !== 255);
    expect(notOpaque).toEqual([]);
    expect(meanDifference(holed, after, W, leftHalf)).toBe(0);
    expect(meanDifference(holed, after, W, rightHalf)).toBeGreaterThan(5);
  });

  it('answers at the requested size and format, n edits with consecutive seeds', async () => {
    const input = await busyPicture(W, H);
    const result = await provider.edit!(
      editCall([input], {
        maskBytes: await halfMask(W, H),
        size: '256x256',
        outputFormat: 'jpeg',
        n: 2,
        seed: 9,
      }),
      callContext(),
    );
    expect(result.images.map((image) => image.seed)).toEqual([9, 10]);
    for (const image of result.images) {
      expect(image.mediaType).toBe('image/jpeg');
      expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/jpeg', width: 256, height: 256 });
    }
    expect(Buffer.from(result.images[0]!.bytes).equals(Buffer.from(result.images[1]!.bytes))).toBe(false);
  });

  it('reads grey, 16-bit and JPEG inputs', async () => {
    const grey = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } })
      .greyscale()
      .png({ palette: false })
      .toBuffer();
    const deep = await sharp(await busyPicture(40, 30))
      .png()
      .toColourspace('rgb16')
      .toBuffer();
    const jpeg = await sharp(await busyPicture(40, 30))
      .jpeg()
      .toBuffer();
    for (const bytes of [grey, deep, jpeg]) {
      const result = await provider.edit!(editCall([bytes]), callContext());
      expect(sniffImage(result.images[0]!.bytes)).toEqual({ mediaType: 'image/png', width: 40, height: 30 });
    }
  });

  it('refuses a call without input images, and bytes it cannot read, without echoing them', async () => {
    const empty = await provider.edit!(editCall([]), callContext()).catch((e: unknown) => e);
    expect(GatewayError.isInstance(empty) && [empty.code, empty.message]).toEqual([
      'BACKEND_ERROR',
      'local: an edit needs at least one input image.',
    ]);
    const broken = { ...inputImage(await busyPicture(8, 8)), bytes: Buffer.from('not really a png at all') };
    const error = await provider.edit!({ ...editCall([]), images: [broken] }, callContext()).catch(
      (e: unknown) => e,
    );
    expect(GatewayError.isInstance(error) && error.message).toBe('local: could not read input image 0.');
  });

  it('stops with ABORTED when the call is aborted before it starts', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await provider.edit!(
      editCall([await busyPicture(W, H)]),
      callContext(controller.signal),
    ).catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
  });
});

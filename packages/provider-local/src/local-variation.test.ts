import { GatewayError, type ProviderCall, sniffImage } from '@pixelgate/core/provider-utils';
import { describe, expect, it } from 'vitest';
import {
  busyPicture,
  callContext,
  generateCall,
  inputImage,
  meanDifference,
  rgbaOf,
} from '../test/local-test-images.ts';
import { createLocalProvider } from './local-provider.ts';

const provider = createLocalProvider();

function variationCall(image: Uint8Array, extra: Partial<ProviderCall> = {}): ProviderCall {
  const { size: _size, ...base } = generateCall({ size: '256x256' });
  return { ...base, operation: 'variation', prompt: '', images: [inputImage(image)], seed: 3, ...extra };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('local variations', () => {
  it('are deterministic in the image and seed, and differ with either', async () => {
    const picture = await busyPicture(80, 60, 1);
    const [once, again, otherSeed, otherImage] = await Promise.all([
      provider.createVariation!(variationCall(picture), callContext()),
      provider.createVariation!(variationCall(picture), callContext()),
      provider.createVariation!(variationCall(picture, { seed: 4 }), callContext()),
      provider.createVariation!(variationCall(await busyPicture(80, 60, 2)), callContext()),
    ]);
    expect(same(once.images[0]!.bytes, again.images[0]!.bytes)).toBe(true);
    expect(same(once.images[0]!.bytes, otherSeed.images[0]!.bytes)).toBe(false);
    expect(same(once.images[0]!.bytes, otherImage.images[0]!.bytes)).toBe(false);
  });

  it('stay close to their image: a variation of one picture is nearer to it than to another picture', async () => {
    const picture = await busyPicture(80, 60, 1);
    const stranger = await busyPicture(80, 60, 7);
    const result = await provider.createVariation!(variationCall(picture), callContext());
    const variation = await rgbaOf(result.images[0]!.bytes);
    const { data: source } = await rgbaOf(picture);
    const { data: other } = await rgbaOf(stranger);
    const everywhere = () => true;
    expect(meanDifference(variation.data, source, 80, everywhere)).toBeGreaterThan(3);
    expect(meanDifference(variation.data, source, 80, everywhere)).toBeLessThan(
      meanDifference(variation.data, other, 80, everywhere),
    );
  });

  it('answer n images with consecutive seeds at the requested size and format', async () => {
    const result = await provider.createVariation!(
      variationCall(await busyPicture(80, 60), { n: 3, size: '256x256', outputFormat: 'webp', seed: 11 }),
      callContext(),
    );
    expect(result.images.map((image) => image.seed)).toEqual([11, 12, 13]);
    for (const image of result.images)
      expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/webp', width: 256, height: 256 });
    expect(new Set(result.images.map((image) => Buffer.from(image.bytes).toString('hex'))).size).toBe(3);
  });

  it('keep the input size when the call names none', async () => {
    const result = await provider.createVariation!(variationCall(await busyPicture(80, 60)), callContext());
    expect(sniffImage(result.images[0]!.bytes)).toEqual({ mediaType: 'image/png', width: 80, height: 60 });
  });

  it('refuse a call without an image, and stop with ABORTED when aborted', async () => {
    const error = await provider.createVariation!(
      { ...variationCall(await busyPicture(8, 8)), images: [] },
      callContext(),
    ).catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.message).toBe(
      'local: a variation needs at least one input image.',
    );
    const controller = new AbortController();
    controller.abort();
    const aborted = await provider.createVariation!(
      variationCall(await busyPicture(8, 8)),
      callContext(controller.signal),
    ).catch((e: unknown) => e);
    expect(GatewayError.isInstance(aborted) && aborted.code).toBe('ABORTED');
  });
});

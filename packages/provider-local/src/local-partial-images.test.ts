import {
  GatewayError,
  type ProviderCall,
  type ProviderCallContext,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { describe, expect, it } from 'vitest';
import {
  busyPicture,
  callContext,
  generateCall,
  halfMask,
  inputImage,
  meanDifference,
  rgbaOf,
} from '../test/local-test-images.ts';
import { createLocalProvider } from './local-provider.ts';

type PartialImage = Parameters<NonNullable<ProviderCallContext['onPartialImage']>>[0];

/** Records each partial image with the time it arrived. */
function recorder(onEach?: (partial: PartialImage) => void) {
  const seen: Array<PartialImage & { at: number }> = [];
  return {
    seen,
    onPartialImage(partial: PartialImage) {
      seen.push({ ...partial, at: performance.now() });
      onEach?.(partial);
    },
  };
}

async function editCall(extra: Partial<ProviderCall> = {}): Promise<ProviderCall> {
  const input = await busyPicture(64, 64);
  return {
    ...generateCall({ size: '256x256', seed: 2 }),
    operation: 'edit',
    images: [inputImage(input)],
    mask: { ...inputImage(await halfMask(64, 64)), convention: 'alpha' },
    ...extra,
  };
}

describe('local streamed partial images', () => {
  it('reports the asked number of previews in order, each a real image that sharpens towards the final one', async () => {
    const provider = createLocalProvider();
    const { seen, onPartialImage } = recorder();
    const call = { ...generateCall({ size: '256x256', seed: 4, output_format: 'webp' }), partialImages: 3 };
    const result = await provider.generate(call, callContext(undefined, onPartialImage));
    expect(seen.map((p) => [p.imageIndex, p.partialImageIndex])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    const final = await rgbaOf(result.images[0]!.bytes);
    const distances = [];
    for (const partial of seen) {
      expect(partial.mediaType).toBe('image/webp');
      expect(sniffImage(partial.bytes)).toEqual({ mediaType: 'image/webp', width: 256, height: 256 });
      distances.push(meanDifference((await rgbaOf(partial.bytes)).data, final.data, 256, () => true));
    }
    expect(distances[0]).toBeGreaterThan(distances[1]!);
    expect(distances[1]).toBeGreaterThan(distances[2]!);
    // Streaming changes nothing about the final image.
    const plain = await provider.generate({ ...call, partialImages: undefined }, callContext());
    expect(Buffer.from(plain.images[0]!.bytes).equals(Buffer.from(result.images[0]!.bytes))).toBe(true);
  });

  it('streams edits too: the previews of each of n images, image by image', async () => {
    const provider = createLocalProvider();
    const { seen, onPartialImage } = recorder();
    const call = await editCall({ n: 2, partialImages: 2 });
    const result = await provider.edit!(call, callContext(undefined, onPartialImage));
    expect(result.images).toHaveLength(2);
    expect(seen.map((p) => [p.imageIndex, p.partialImageIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    for (const partial of seen) expect(sniffImage(partial.bytes)).toMatchObject({ width: 256, height: 256 });
  });

  it('spaces the previews by the artificial latency, spread over the call', async () => {
    const provider = createLocalProvider({ latencyMs: 400 });
    const { seen, onPartialImage } = recorder();
    const started = performance.now();
    await provider.generate(
      { ...generateCall({ size: '256x256' }), partialImages: 3 },
      callContext(undefined, onPartialImage),
    );
    const elapsed = performance.now() - started;
    // Four pauses of 100 ms: before the first preview, then after each one. Timers never fire early
    // (a millisecond of rounding aside), so these lower bounds hold on any machine.
    expect(seen[0]!.at - started).toBeGreaterThanOrEqual(99);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(99);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeGreaterThanOrEqual(399);
  });

  it('stops mid-stream with ABORTED when aborted between previews (during a pause)', async () => {
    const provider = createLocalProvider({ latencyMs: 60_000 * 4 });
    const controller = new AbortController();
    const { seen, onPartialImage } = recorder();
    const call = { ...generateCall({ size: '256x256' }), partialImages: 3 };
    // The first pause is a minute long: abort it as soon as the call is under way.
    setImmediate(() => controller.abort());
    const error = await provider
      .generate(call, callContext(controller.signal, onPartialImage))
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
    expect(seen).toEqual([]);
  });

  it('stops mid-stream with ABORTED after the preview during which the caller went away', async () => {
    for (const latencyMs of [0, 300]) {
      const provider = createLocalProvider({ latencyMs });
      const controller = new AbortController();
      const { seen, onPartialImage } = recorder((partial) => {
        if (partial.partialImageIndex === 0) controller.abort();
      });
      const error = await provider.edit!(
        await editCall({ partialImages: 3 }),
        callContext(controller.signal, onPartialImage),
      ).catch((e: unknown) => e);
      expect(GatewayError.isInstance(error) && error.code, `latency ${latencyMs}`).toBe('ABORTED');
      expect(seen.map((p) => p.partialImageIndex)).toEqual([0]);
    }
  });

  it('reports the deadline as TIMEOUT', async () => {
    const provider = createLocalProvider({ latencyMs: 60_000 });
    const error = await provider
      .generate(
        { ...generateCall({ size: '256x256' }), partialImages: 2 },
        callContext(AbortSignal.timeout(20), recorder().onPartialImage),
      )
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('TIMEOUT');
  });

  it('draws no previews when the call does not stream', async () => {
    const provider = createLocalProvider();
    const { seen, onPartialImage } = recorder();
    const result = await provider.generate(
      generateCall({ size: '256x256' }),
      callContext(undefined, onPartialImage),
    );
    expect(result.images).toHaveLength(1);
    expect(seen).toEqual([]);
  });
});

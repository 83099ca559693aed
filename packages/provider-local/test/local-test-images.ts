import { createHash } from 'node:crypto';
import { createGateway } from '@pixelgate/core';
import {
  type ProviderCall,
  type ProviderCallContext,
  silentLogger,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { validateCapabilities } from '@pixelgate/core/spec';
import sharp from 'sharp';
import { createLocalProvider } from '../src/local-provider.ts';
import { drawPixels } from '../src/render-image.ts';

/** An input image as the pipeline hands it to a plugin. */
export type InputImage = NonNullable<ProviderCall['images']>[number];

/** A call context; `onPartialImage` only when given. */
export function callContext(
  signal = new AbortController().signal,
  onPartialImage?: ProviderCallContext['onPartialImage'],
): ProviderCallContext {
  return {
    signal,
    requestId: 'r',
    callIndex: 0,
    attempt: 0,
    logger: silentLogger,
    ...(onPartialImage ? { onPartialImage } : {}),
  };
}

/** A validated generation call for `local/placeholder` (what the pipeline would pass). */
export function generateCall(request: Record<string, unknown>): ProviderCall {
  const provider = createLocalProvider();
  const { model } = createGateway({ providers: [provider] }).registry.resolve('local/placeholder');
  const { call } = validateCapabilities({ prompt: 'a lighthouse', ...request } as never, model, 'strict');
  return { ...call, providerOptions: {} };
}

/** Describes bytes the way the pipeline does after its input checks. */
export function inputImage(bytes: Uint8Array, index = 0): InputImage {
  const sniffed = sniffImage(bytes);
  if (!sniffed?.width || !sniffed.height) throw new Error('not an image with a readable size');
  return {
    bytes,
    mediaType: sniffed.mediaType as InputImage['mediaType'],
    width: sniffed.width,
    height: sniffed.height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    filename: `image-${index}.png`,
  };
}

/** Encodes raw RGBA pixels as a PNG (lossless, so pixel comparisons are exact). */
export async function pngFromRgba(pixels: Buffer, width: number, height: number): Promise<Uint8Array> {
  return sharp(pixels, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** Decodes any image to 8-bit RGBA with its size. */
export async function rgbaOf(bytes: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A busy RGBA picture (every pixel different from its neighbours), fully opaque. */
export async function busyPicture(width: number, height: number, seed = 1): Promise<Uint8Array> {
  const rgb = drawPixels({ width, height, prompt: 'input', seed, noise: 0.6 });
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
    rgba[i * 4 + 3] = 255;
  }
  return pngFromRgba(rgba, width, height);
}

/** A flat, opaque picture of one colour. */
export async function flatPicture(width: number, height: number, colour: [number, number, number]) {
  return sharp({
    create: {
      width,
      height,
      channels: 4,
      background: { r: colour[0], g: colour[1], b: colour[2], alpha: 1 },
    },
  })
    .png()
    .toBuffer();
}

/**
 * An `alpha`-convention mask: the left half opaque (kept), the right half fully transparent
 * (edited). `alphaRight` sets the right half's alpha, for partly transparent masks.
 */
export async function halfMask(width: number, height: number, alphaRight = 0): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[(y * width + x) * 4 + 3] = x < width / 2 ? 255 : alphaRight;
  }
  return pngFromRgba(pixels, width, height);
}

/** Mean absolute difference of the RGB channels of two equally sized RGBA buffers, over pixels `where` holds. */
export function meanDifference(
  a: Buffer,
  b: Buffer,
  width: number,
  where: (x: number, y: number) => boolean,
) {
  let total = 0;
  let count = 0;
  for (let i = 0; i < a.length / 4; i++) {
    if (!where(i % width, Math.floor(i / width))) continue;
    for (let c = 0; c < 3; c++) total += Math.abs(a[i * 4 + c]! - b[i * 4 + c]!);
    count++;
  }
  return total / (count * 3);
}

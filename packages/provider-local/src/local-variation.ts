import { createHash } from 'node:crypto';
import { decodeRgba } from './decode-pixels.ts';
import { encodePixels, type LocalFormat } from './encode-pixels.ts';

/** What {@link varyImage} varies. */
export interface VaryImageOptions {
  image: Uint8Array;
  seed: number;
  width: number;
  height: number;
  format: LocalFormat;
  compression?: number;
  /** Provider id, for error messages. */
  provider: string;
}

/** The 3x3 matrix turning RGB colours about the grey axis: hues rotate, greys stay grey. */
function hueMatrix(degrees: number): number[] {
  const cos = Math.cos((degrees * Math.PI) / 180);
  const sin = Math.sin((degrees * Math.PI) / 180);
  const third = 1 / 3;
  const root = Math.sqrt(third);
  const a = cos + (1 - cos) * third;
  const b = (1 - cos) * third - root * sin;
  const c = (1 - cos) * third + root * sin;
  return [a, b, c, c, a, b, b, c, a];
}

/**
 * A deterministic offline variation: the image at the output size, its hues rotated, its
 * brightness shifted and possibly mirrored, all derived from the image's own SHA-256 and the seed.
 * The same image and seed give the same bytes; another seed gives another variation.
 */
export async function varyImage(options: VaryImageOptions): Promise<Uint8Array> {
  const { width, height } = options;
  const digest = createHash('sha256').update(options.image).update(`\u0000${options.seed}`).digest();
  const matrix = hueMatrix(30 + (digest.readUInt16LE(0) % 300));
  const brightness = 0.85 + (digest[2]! / 255) * 0.3;
  const mirrored = (digest[3]! & 1) === 1;
  const pixels = await decodeRgba(options.image, {
    width,
    height,
    provider: options.provider,
    label: 'the input image',
  });
  const out = Buffer.allocUnsafe(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + (mirrored ? width - 1 - x : x)) * 4;
      const to = (y * width + x) * 4;
      const [r, g, b] = [pixels[from]!, pixels[from + 1]!, pixels[from + 2]!];
      for (let c = 0; c < 3; c++) {
        const value = (matrix[c * 3]! * r + matrix[c * 3 + 1]! * g + matrix[c * 3 + 2]! * b) * brightness;
        out[to + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
      }
      out[to + 3] = pixels[from + 3]!;
    }
  }
  return encodePixels(out, { width, height, channels: 4 }, options.format, options.compression);
}

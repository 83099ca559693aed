import { createHash } from 'node:crypto';
import { encodePixels } from './encode-pixels.ts';

/** What to draw. */
export interface RenderImageOptions {
  width: number;
  height: number;
  format?: 'png' | 'jpeg' | 'webp';
  /**
   * 0-100 for jpeg/webp (ignored for png), as OpenAI's `output_compression`: 100, its default, is
   * the least compression, i.e. the best quality.
   */
  compression?: number;
  /** Text the picture is derived from: the same text and seed give the same bytes. */
  prompt?: string;
  seed?: number;
  /**
   * Amount of per-pixel noise, 0 to 1. Noise makes files large (a 1024x1024 PNG at 0.35 is about
   * 1.4 MB), which benchmarks and size-limit tests need; 0 gives small, smooth pictures.
   */
  noise?: number;
}

/** A small, fast, seedable generator (mulberry32): deterministic across platforms. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws the picture {@link renderImage} encodes, as raw RGB pixels (3 bytes a pixel, row by row):
 * a two-colour gradient with a few discs, colours derived from the prompt and seed. Edits paint
 * it into the area a mask opens, so an edit's new content follows its prompt as a generation does.
 */
export function drawPixels(options: RenderImageOptions): Buffer {
  const { width, height } = options;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width * height > 40_000_000
  ) {
    throw new RangeError(`cannot render a ${width}x${height} image`);
  }
  const digest = createHash('sha256')
    .update(`${options.prompt ?? ''}\u0000${options.seed ?? 0}`)
    .digest();
  const random = mulberry32(digest.readUInt32LE(0));
  const colourA = [digest[4]!, digest[5]!, digest[6]!];
  const colourB = [digest[7]!, digest[8]!, digest[9]!];
  const discs = Array.from({ length: 3 + (digest[10]! % 4) }, () => ({
    x: random() * width,
    y: random() * height,
    r: (0.08 + random() * 0.2) * Math.min(width, height),
    colour: [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)],
  }));
  const noise = Math.max(0, Math.min(1, options.noise ?? 0)) * 255;
  const pixels = Buffer.allocUnsafe(width * height * 3);
  let offset = 0;
  for (let y = 0; y < height; y++) {
    const t = height === 1 ? 0 : y / (height - 1);
    for (let x = 0; x < width; x++) {
      let r = colourA[0]! + (colourB[0]! - colourA[0]!) * t;
      let g = colourA[1]! + (colourB[1]! - colourA[1]!) * t;
      let b = colourA[2]! + (colourB[2]! - colourA[2]!) * t;
      for (const disc of discs) {
        const dx = x - disc.x;
        const dy = y - disc.y;
        if (dx * dx + dy * dy < disc.r * disc.r) {
          r = disc.colour[0]!;
          g = disc.colour[1]!;
          b = disc.colour[2]!;
        }
      }
      if (noise > 0) {
        const n = (random() - 0.5) * noise;
        r += n;
        g += n;
        b += n;
      }
      pixels[offset++] = r < 0 ? 0 : Math.min(r, 255);
      pixels[offset++] = g < 0 ? 0 : Math.min(g, 255);
      pixels[offset++] = b < 0 ? 0 : Math.min(b, 255);
    }
  }
  return pixels;
}

/**
 * Draws a deterministic abstract picture (see {@link drawPixels}) and encodes it as a real PNG,
 * JPEG or WebP with sharp. It is a placeholder, not a model: the point is real, valid image files
 * of the right size and type.
 */
export async function renderImage(options: RenderImageOptions): Promise<Uint8Array> {
  const pixels = drawPixels(options);
  return encodePixels(
    pixels,
    { width: options.width, height: options.height, channels: 3 },
    options.format ?? 'png',
    options.compression,
  );
}

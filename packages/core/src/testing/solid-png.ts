import { encodePng } from '../provider/test-image.ts';

/**
 * A valid single-colour PNG of any size. Core's test kit needs real image bytes of a requested
 * size without adding an image library to core's dependencies (fake servers draw with
 * `drawTestImage`, which shares this encoder). Pixels are one repeated row, so even large images
 * deflate to a few kilobytes.
 */
export function solidPng(
  width: number,
  height: number,
  rgb: [number, number, number] = [200, 120, 40],
): Uint8Array {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  return encodePng(width, height, raw);
}

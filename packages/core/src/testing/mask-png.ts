import type { MaskConvention } from '../models/model-descriptor.ts';
import { encodePng } from '../provider/test-image.ts';

/**
 * A mask PNG marking the left half of a `width`x`height` image for editing, drawn in a
 * convention: `alpha` (RGBA, left half transparent, right half opaque black) or `luminance`
 * (greyscale, left half white, right half black). For tests and fake servers; no image library.
 */
export function maskPng(width: number, height: number, convention: MaskConvention): Uint8Array {
  const channels = convention === 'alpha' ? 4 : 1;
  const row = Buffer.alloc(1 + width * channels);
  for (let x = 0; x < width; x++) {
    const edit = x < width / 2;
    if (convention === 'alpha') row[1 + x * 4 + 3] = edit ? 0 : 255;
    else row[1 + x] = edit ? 255 : 0;
  }
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  return encodePng(width, height, raw, convention === 'alpha' ? 6 : 0);
}

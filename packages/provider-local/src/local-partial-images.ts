import sharp from 'sharp';
import { encodePixels, type LocalFormat } from './encode-pixels.ts';

/**
 * Partial image `index` (0-based) of `count` for a final image: the final picture at a coarse
 * resolution, blown back up with hard pixel edges. The last partial is at a quarter of the
 * resolution and each earlier one at half the resolution of the next, so the previews sharpen
 * towards the final image as a diffusion model's do. Same encoding as the final image.
 */
export async function renderPartialImage(
  final: Uint8Array,
  index: number,
  count: number,
  format: LocalFormat,
  compression?: number,
): Promise<Uint8Array> {
  const { data, info } = await sharp(final)
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const scale = 2 ** -(count - index + 1);
  const small = {
    width: Math.max(1, Math.round(info.width * scale)),
    height: Math.max(1, Math.round(info.height * scale)),
  };
  const coarse = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
    .resize(small.width, small.height, { fit: 'fill' })
    .raw()
    .toBuffer();
  const blocky = await sharp(coarse, { raw: { ...small, channels: 4 } })
    .resize(info.width, info.height, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer();
  return encodePixels(blocky, { width: info.width, height: info.height, channels: 4 }, format, compression);
}

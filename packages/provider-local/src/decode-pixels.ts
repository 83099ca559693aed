import { BackendError } from '@pixelgate/core/provider-utils';
import sharp from 'sharp';

/** Options of {@link decodeRgba}. */
export interface DecodeOptions {
  /** The size to bring the picture to; the picture is stretched to fill it, never cropped. */
  width: number;
  height: number;
  /**
   * `nearest` for masks, so a hard mask edge stays hard after resizing; pictures use the smooth
   * default. Unused when the sizes already match: the pixels are then taken as they are.
   */
  kernel?: 'nearest' | 'lanczos3';
  /** Provider id and what the bytes are, for the error message. */
  provider: string;
  label: string;
}

/**
 * Decodes an input image (PNG, JPEG or WebP, any bit depth, grey or colour, with or without an
 * alpha channel) into 8-bit RGBA at the given size. A picture already at that size is not
 * resampled, so every pixel an edit leaves alone comes out exactly as it went in.
 */
export async function decodeRgba(bytes: Uint8Array, options: DecodeOptions): Promise<Buffer> {
  try {
    const image = sharp(bytes);
    const { width, height } = await image.metadata();
    if (width !== options.width || height !== options.height) {
      image.resize(options.width, options.height, { fit: 'fill', kernel: options.kernel ?? 'lanczos3' });
    }
    const { data, info } = await image
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || info.width !== options.width || info.height !== options.height) {
      throw new Error(`decoded to ${info.width}x${info.height} with ${info.channels} channels`);
    }
    return data;
  } catch (error) {
    // The pipeline checked the bytes before the call, so this is a fault of this provider; the
    // message names the input, never its bytes.
    throw new BackendError(`${options.provider}: could not read ${options.label}.`, {
      reason: 'upstream_rejected',
      provider: options.provider,
      cause: error,
    });
  }
}

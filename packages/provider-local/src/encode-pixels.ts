import sharp from 'sharp';

/** The shape of a raw pixel buffer: 3 channels (RGB) or 4 (RGBA), one byte each. */
export interface RawShape {
  width: number;
  height: number;
  channels: 3 | 4;
}

/** An encoding the local provider writes. */
export type LocalFormat = 'png' | 'jpeg' | 'webp';

/**
 * Encodes raw pixels as a real PNG, JPEG or WebP. `compression` is read as OpenAI's
 * `output_compression` (0-100, 100 the best quality; PNG ignores it). JPEG has no alpha channel,
 * so transparent pixels are laid on white rather than on the black libvips would pick.
 */
export async function encodePixels(
  pixels: Buffer,
  shape: RawShape,
  format: LocalFormat,
  compression?: number,
): Promise<Uint8Array> {
  const image = sharp(pixels, { raw: shape });
  const quality = compression === undefined ? 90 : Math.max(1, Math.min(100, compression));
  switch (format) {
    case 'jpeg':
      return image.flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
    case 'webp':
      return image.webp({ quality }).toBuffer();
    default:
      return image.png({ compressionLevel: 6 }).toBuffer();
  }
}

import sharp from 'sharp';

/** Deterministic noise, so encoders cannot shrink the image to nothing (closer to real output). */
function noise(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let state = 0x2545f491;
  for (let i = 0; i < raw.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    raw[i] = state & 0xff;
  }
  return raw;
}

/** A real PNG, JPEG or WebP image of the given size. */
export async function makeImage(
  format: 'png' | 'jpeg' | 'webp',
  width = 64,
  height = width,
): Promise<Uint8Array> {
  const image = sharp(noise(width, height), { raw: { width, height, channels: 3 } });
  return new Uint8Array(await image.toFormat(format).toBuffer());
}

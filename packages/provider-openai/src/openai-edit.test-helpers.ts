import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { drawTestImage, type ProviderCall, sniffImage } from '@pixelgate/core/provider-utils';

type InputImage = NonNullable<ProviderCall['images']>[number];
type Mask = NonNullable<ProviderCall['mask']>;

/** An input image as the pipeline hands it to a plugin: checked bytes, type, size, hash, name. */
export function inputImage(bytes: Uint8Array, index = 0): InputImage {
  const sniffed = sniffImage(bytes);
  if (!sniffed?.width || !sniffed.height) throw new Error('test input is not an image with a size');
  return {
    bytes,
    mediaType: sniffed.mediaType as InputImage['mediaType'],
    width: sniffed.width,
    height: sniffed.height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    filename: `image-${index}.${sniffed.mediaType.slice('image/'.length).replace('jpeg', 'jpg')}`,
  };
}

/** A drawn test image (deterministic by `seed`) as an input image. */
export function drawnInput(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' = 'png',
  seed = 0,
): InputImage {
  return inputImage(drawTestImage({ width, height, format, prompt: 'input', seed }), seed);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An RGBA PNG (colour type 6): opaque except a fully transparent square in the middle, the area
 * OpenAI edits. `alpha: false` writes the same picture as RGB, a mask the API refuses.
 */
export function maskPng(width: number, height: number, alpha = true): Uint8Array {
  const channels = alpha ? 4 : 3;
  const rows = Buffer.alloc((width * channels + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * channels + 1);
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * channels;
      const inside = x >= width / 4 && x < (3 * width) / 4 && y >= height / 4 && y < (3 * height) / 4;
      rows.fill(inside ? 0 : 255, at, at + 3);
      if (alpha) rows[at + 3] = inside ? 0 : 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = alpha ? 6 : 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A mask as the pipeline hands it over (already in OpenAI's alpha convention). */
export function alphaMask(width: number, height: number, alpha = true): Mask {
  return { ...inputImage(maskPng(width, height, alpha)), filename: 'mask.png', convention: 'alpha' };
}

import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { validationError } from '../errors/gateway-error.ts';
import type { inputImageLimitsSchema } from '../models/model-descriptor.ts';
import { type ImageMediaType, sniffImage } from '../shared/media-type.ts';

/**
 * What an input image may be: the model's `capabilities.edit.input` / `variation.input` (the
 * schema's own type, so the catalog and the check never drift apart; defaults may be left out).
 */
export type InputImageLimits = z.input<typeof inputImageLimitsSchema>;

/** A checked input image: what the audit record keeps (never the bytes) and what a provider needs. */
export interface CheckedInputImage {
  field: string;
  bytes: Uint8Array;
  mediaType: ImageMediaType;
  width: number;
  height: number;
  sha256: string;
  sizeBytes: number;
}

const DEFAULT_TYPES: readonly ImageMediaType[] = ['image/png', 'image/jpeg', 'image/webp'];

/**
 * Checks one input image before anything is sent: its magic bytes say it is an image of an
 * accepted type; the type the client declared (if any) is the real one; its size in bytes, its
 * sides and its pixel count (read from the header, so a small file that would decode to gigapixels
 * is refused without being decoded) are within the model's limits.
 * @throws GatewayError VALIDATION_ERROR naming the field, what it is and what is accepted.
 */
export function checkInputImage(
  field: string,
  bytes: Uint8Array,
  limits: InputImageLimits,
  declaredType?: string,
): CheckedInputImage {
  const accepted: readonly ImageMediaType[] = limits.mediaTypes ?? DEFAULT_TYPES;
  const names = accepted.map((type) => type.slice('image/'.length)).join(', ');
  if (bytes.byteLength > limits.maxBytes) {
    throw validationError(
      field,
      `'${field}' is ${bytes.byteLength} bytes; this model takes images up to ${limits.maxBytes} bytes.`,
    );
  }
  const sniffed = sniffImage(bytes);
  if (!sniffed) throw validationError(field, `'${field}' is not an image; send ${names}.`);
  if (!accepted.includes(sniffed.mediaType as ImageMediaType)) {
    throw validationError(field, `'${field}' is ${sniffed.mediaType}; this model takes ${names}.`);
  }
  const declared = declaredType?.split(';')[0]?.trim().toLowerCase();
  if (declared && declared !== 'application/octet-stream' && declared !== sniffed.mediaType) {
    throw validationError(
      field,
      `'${field}' was sent as ${declared} but its bytes are ${sniffed.mediaType}.`,
    );
  }
  const { width, height } = sniffed;
  if (!width || !height) throw validationError(field, `'${field}' has no readable dimensions in its header.`);
  if (limits.maxSide && (width > limits.maxSide || height > limits.maxSide)) {
    throw validationError(
      field,
      `'${field}' is ${width}x${height}; this model takes sides up to ${limits.maxSide} pixels.`,
    );
  }
  if (limits.minSide && (width < limits.minSide || height < limits.minSide)) {
    throw validationError(
      field,
      `'${field}' is ${width}x${height}; this model takes sides of at least ${limits.minSide} pixels.`,
    );
  }
  if (limits.square && width !== height) {
    throw validationError(field, `'${field}' is ${width}x${height}; this model takes square images only.`);
  }
  if (width * height > limits.maxPixels) {
    throw validationError(
      field,
      `'${field}' is ${width}x${height} (${width * height} pixels); this model takes at most ${limits.maxPixels} pixels.`,
    );
  }
  return {
    field,
    bytes,
    mediaType: sniffed.mediaType as ImageMediaType,
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
  };
}

/** A mask must match its image's size exactly. */
export function checkMaskMatches(mask: CheckedInputImage, image: CheckedInputImage): void {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw validationError(
      'mask',
      `The mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}; they must be the same size.`,
    );
  }
}

/** Whether a PNG has transparency: an alpha colour type (4, 6) or a tRNS chunk before the pixels. */
function pngHasAlpha(bytes: Uint8Array): boolean {
  const colorType = bytes[25];
  if (colorType === 4 || colorType === 6) return true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 8; offset + 8 <= bytes.byteLength; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + length;
  }
  return false;
}

/**
 * An `alpha` mask marks the area to edit with transparent pixels, so it needs an alpha channel:
 * a JPEG, or a PNG without transparency, would edit nothing (or everything) and is refused.
 * WebP is accepted as is (its header does not always tell).
 */
export function checkMaskHasAlpha(mask: CheckedInputImage): void {
  const hasAlpha =
    mask.mediaType === 'image/webp' || (mask.mediaType === 'image/png' && pngHasAlpha(mask.bytes));
  if (!hasAlpha) {
    throw validationError(
      'mask',
      `The mask is ${mask.mediaType === 'image/png' ? 'a PNG without an alpha channel' : mask.mediaType}; an alpha mask must be a PNG with transparency (transparent = edit), or send mask_convention 'luminance' for a black-and-white mask (white = edit).`,
    );
  }
}

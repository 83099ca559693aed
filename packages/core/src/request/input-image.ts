import { createHash } from 'node:crypto';
import { validationError } from '../errors/gateway-error.ts';
import { type ImageMediaType, sniffImage } from '../shared/media-type.ts';

/** What an input image may be, from the model's capabilities. */
export interface InputImageLimits {
  /** Accepted encodings (default png, jpeg, webp). */
  mediaTypes?: readonly ImageMediaType[];
  /** Largest file in bytes. */
  maxBytes: number;
  /** Largest pixel count, judged from the header before anything is decoded (decompression bombs). */
  maxPixels: number;
  /** Largest side in pixels. */
  maxSide?: number;
}

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
  const accepted = limits.mediaTypes ?? DEFAULT_TYPES;
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

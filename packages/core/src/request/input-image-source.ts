import { z } from 'zod';
import { validationError } from '../errors/gateway-error.ts';

/** Image bytes: any Uint8Array (a Node Buffer included, whatever its backing buffer). */
const bytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, {
  error: 'Image bytes must be a Uint8Array (or a Buffer).',
});

/** An input image with what the caller knows about it (an HTTP layer fills these from multipart). */
export const inputImageFileSchema = z.strictObject({
  /** The file's bytes. */
  data: bytesSchema,
  /** The media type the caller declared; checked against the bytes (a mismatch is refused). */
  media_type: z.string().min(1).max(100).optional(),
  /** The file name the caller gave, used only to name the file sent upstream. */
  filename: z.string().min(1).max(255).optional(),
});
/** An input image with its declared type and name. */
export type InputImageFile = z.infer<typeof inputImageFileSchema>;

/**
 * Where an input image (edit, variation, mask) comes from in a library call: its bytes, the
 * bytes with a declared type and file name, or a `data:` URL. An `http(s)` URL is refused:
 * pixelgate never downloads a caller-named URL (server-side request forgery).
 */
export const inputImageSourceSchema = z.union([bytesSchema, inputImageFileSchema, z.string().min(1)], {
  error: 'An input image must be its bytes (a Uint8Array), { data, media_type?, filename? }, or a data: URL.',
});
/** One input image as a caller passes it. */
export type InputImageSource = z.infer<typeof inputImageSourceSchema>;

/** An input image source turned into bytes, not checked yet (see `checkInputImage`). */
export interface DecodedInputImage {
  /** The request field it came from (`image`, `image[2]`, `mask`), for errors and the audit record. */
  field: string;
  bytes: Uint8Array;
  /** The media type the caller declared, if any. */
  declaredType?: string;
  filename?: string;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/i;
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a `data:` URL (base64 only: images are never sent percent-encoded). */
function decodeDataUrl(field: string, url: string): DecodedInputImage {
  const header = DATA_URL.exec(url);
  if (!header) {
    throw validationError(field, `'${field}' is not a valid data: URL; send data:image/png;base64,<base64>.`);
  }
  const parameters = header[2]!.toLowerCase().split(';');
  if (!parameters.includes('base64')) {
    throw validationError(field, `'${field}' must be a base64 data: URL (data:image/png;base64,<base64>).`);
  }
  const text = url.slice(header[0].length).replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 === 1 || !BASE64_TEXT.test(text)) {
    throw validationError(field, `'${field}' is a data: URL whose content is not valid base64.`);
  }
  const mediaType = header[1]!.trim().toLowerCase();
  return {
    field,
    bytes: Buffer.from(text, 'base64'),
    ...(mediaType ? { declaredType: mediaType } : {}),
  };
}

/**
 * Turns one validated source into bytes. Strings must be `data:` URLs; a URL of any other scheme
 * is refused with a VALIDATION_ERROR naming the field, never fetched.
 */
export function decodeInputImageSource(field: string, source: InputImageSource): DecodedInputImage {
  if (source instanceof Uint8Array) return { field, bytes: source };
  if (typeof source === 'string') {
    if (/^data:/i.test(source)) return decodeDataUrl(field, source);
    if (/^https?:\/\//i.test(source)) {
      throw validationError(
        field,
        `'${field}' is an http(s) URL; pixelgate does not download images from URLs. Send the image bytes or a data: URL.`,
      );
    }
    throw validationError(
      field,
      `'${field}' must be image bytes or a data: URL (data:image/png;base64,...).`,
    );
  }
  return {
    field,
    bytes: source.data,
    ...(source.media_type ? { declaredType: source.media_type } : {}),
    ...(source.filename ? { filename: source.filename } : {}),
  };
}

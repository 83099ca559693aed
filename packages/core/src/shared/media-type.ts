/** Image media types pixelgate knows how to check. */
export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';

/** What the bytes of an image say about themselves. */
export interface SniffedImage {
  mediaType: ImageMediaType;
  /** Pixel width when the header tells it. */
  width?: number;
  /** Pixel height when the header tells it. */
  height?: number;
}

/** Maps the request's `output_format` to a media type. */
export const OUTPUT_FORMAT_MEDIA_TYPES = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
} as const satisfies Record<string, ImageMediaType>;

/** File extension for a media type, used in storage keys and downloads. */
export function extensionFor(mediaType: string): string {
  switch (mediaType) {
    case 'image/png':
      return 'png';
    case 'image/jpeg':
      return 'jpg';
    case 'image/webp':
      return 'webp';
    case 'image/gif':
      return 'gif';
    default:
      return 'bin';
  }
}

function readUInt24LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)) >>> 0;
}

function sniffJpeg(bytes: Uint8Array): SniffedImage {
  // Walk the marker segments until a start-of-frame marker, which carries the dimensions.
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return { mediaType: 'image/jpeg' };
    const marker = bytes[offset + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    const isStartOfFrame =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
      const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
      return { mediaType: 'image/jpeg', width, height };
    }
    offset += 2 + length;
  }
  return { mediaType: 'image/jpeg' };
}

function sniffWebp(bytes: Uint8Array): SniffedImage {
  const chunk = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return {
      mediaType: 'image/webp',
      width: ((bytes[26]! | (bytes[27]! << 8)) & 0x3fff) >>> 0,
      height: ((bytes[28]! | (bytes[29]! << 8)) & 0x3fff) >>> 0,
    };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = (bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)) >>> 0;
    return { mediaType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    return {
      mediaType: 'image/webp',
      width: readUInt24LE(bytes, 24) + 1,
      height: readUInt24LE(bytes, 27) + 1,
    };
  }
  return { mediaType: 'image/webp' };
}

/**
 * Reads an image's real media type and dimensions from its first bytes (magic numbers and
 * headers), without decoding it. Providers and output guardrails use it so that bytes claiming to
 * be a PNG really are one. Returns undefined for anything that is not a known image.
 */
export function sniffImage(bytes: Uint8Array): SniffedImage | undefined {
  if (
    bytes.length >= 24 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { mediaType: 'image/png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return sniffJpeg(bytes);
  }
  if (
    bytes.length >= 16 &&
    String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) === 'RIFF' &&
    String.fromCharCode(bytes[8]!, bytes[9]!, bytes[10]!, bytes[11]!) === 'WEBP'
  ) {
    return sniffWebp(bytes);
  }
  if (bytes.length >= 10 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) {
    return {
      mediaType: 'image/gif',
      width: bytes[6]! | (bytes[7]! << 8),
      height: bytes[8]! | (bytes[9]! << 8),
    };
  }
  return undefined;
}

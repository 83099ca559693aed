import { embedXmpInJpeg } from './jpeg-xmp.ts';
import { embedXmpInPng } from './png-xmp.ts';
import { embedXmpInWebp } from './webp-xmp.ts';

/** The image formats pixelgate marks and signs. */
export const PROVENANCE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
/** One of {@link PROVENANCE_MEDIA_TYPES}. */
export type ProvenanceMediaType = (typeof PROVENANCE_MEDIA_TYPES)[number];

/** Whether pixelgate can mark and sign this media type. */
export function isProvenanceMediaType(mediaType: string): mediaType is ProvenanceMediaType {
  return (PROVENANCE_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

const EMBEDDERS = {
  'image/png': embedXmpInPng,
  'image/jpeg': embedXmpInJpeg,
  'image/webp': embedXmpInWebp,
} satisfies Record<ProvenanceMediaType, unknown>;

/**
 * Writes the XMP packet into the image's container, never touching the pixels: re-encoding would
 * change the image (lossy formats) and strip a provider's C2PA manifest.
 */
export function embedXmp(
  bytes: Uint8Array,
  mediaType: ProvenanceMediaType,
  xmp: string,
): { bytes: Uint8Array; replaced: boolean } {
  return EMBEDDERS[mediaType](bytes, xmp);
}

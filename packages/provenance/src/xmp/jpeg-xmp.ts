const XMP_NAMESPACE = 'http://ns.adobe.com/xap/1.0/\0';
/** Markers without a length field (SOI, EOI, RSTn, TEM). */
const STANDALONE = new Set([0xd8, 0xd9, 0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7]);
const SOS = 0xda;
const APP1 = 0xe1;
/** A segment's payload is at most 65533 bytes; the namespace takes 29 of them. */
const MAX_XMP_BYTES = 65_533 - XMP_NAMESPACE.length;

function isXmpSegment(jpeg: Uint8Array, start: number, end: number): boolean {
  if (jpeg[start + 1] !== APP1) return false;
  const head = new TextDecoder('latin1').decode(
    jpeg.subarray(start + 4, Math.min(end, start + 4 + XMP_NAMESPACE.length)),
  );
  return head === XMP_NAMESPACE;
}

function xmpSegment(xmp: string): Uint8Array {
  const payload = new TextEncoder().encode(`${XMP_NAMESPACE}${xmp}`);
  if (payload.byteLength > MAX_XMP_BYTES + XMP_NAMESPACE.length)
    throw new Error('XMP packet too large for one JPEG segment');
  const segment = new Uint8Array(payload.byteLength + 4);
  segment[0] = 0xff;
  segment[1] = APP1;
  new DataView(segment.buffer).setUint16(2, payload.byteLength + 2);
  segment.set(payload, 4);
  return segment;
}

/**
 * Puts an XMP packet into a JPEG without re-encoding it: an APP1 segment after the leading APPn
 * segments (JFIF/EXIF stay first, as readers expect); an existing standard XMP segment is
 * replaced. Returns whether one was replaced.
 */
export function embedXmpInJpeg(jpeg: Uint8Array, xmp: string): { bytes: Uint8Array; replaced: boolean } {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG (no SOI marker)');
  const view = new DataView(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let offset = 2;
  let inserted = false;
  let replaced = false;
  while (offset + 4 <= jpeg.byteLength && jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1]!;
    if (STANDALONE.has(marker)) throw new Error('unexpected standalone JPEG marker before the scan');
    const end = offset + 2 + view.getUint16(offset + 2);
    if (!inserted && (marker < 0xe0 || marker > 0xef || marker === SOS)) {
      parts.push(xmpSegment(xmp));
      inserted = true;
    }
    if (marker === SOS) break;
    if (isXmpSegment(jpeg, offset, end)) replaced = true;
    else parts.push(jpeg.subarray(offset, end));
    offset = end;
  }
  if (!inserted) throw new Error('JPEG has no scan to place the XMP segment before');
  parts.push(jpeg.subarray(offset));
  return { bytes: Buffer.concat(parts), replaced };
}

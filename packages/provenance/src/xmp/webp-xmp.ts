import { sniffImage } from '@pixelgate/core/provider-utils';

const XMP_FLAG = 0x04;
const ALPHA_FLAG = 0x10;

interface RiffChunk {
  fourcc: string;
  start: number;
  end: number;
}

function readChunks(webp: Uint8Array): RiffChunk[] {
  const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength);
  const chunks: RiffChunk[] = [];
  let offset = 12;
  while (offset + 8 <= webp.byteLength) {
    const size = view.getUint32(offset + 4, true);
    const end = offset + 8 + size + (size % 2);
    if (end > webp.byteLength) throw new Error('WebP chunk runs past the end of the file');
    chunks.push({ fourcc: String.fromCharCode(...webp.subarray(offset, offset + 4)), start: offset, end });
    offset = end;
  }
  return chunks;
}

function chunk(fourcc: string, data: Uint8Array): Uint8Array {
  const padded = data.byteLength % 2;
  const out = new Uint8Array(8 + data.byteLength + padded);
  out.set(new TextEncoder().encode(fourcc), 0);
  new DataView(out.buffer).setUint32(4, data.byteLength, true);
  out.set(data, 8);
  return out;
}

/** A VP8X header for a simple (VP8/VP8L) WebP, so that it may carry metadata chunks. */
function vp8xFor(webp: Uint8Array, first: RiffChunk): Uint8Array {
  const sniffed = sniffImage(webp);
  if (!sniffed?.width || !sniffed.height) throw new Error('cannot read the WebP canvas size');
  // A lossless bitstream records whether it uses alpha (bit 28 after the signature byte).
  const hasAlpha =
    first.fourcc === 'VP8L' &&
    (new DataView(webp.buffer, webp.byteOffset).getUint32(first.start + 9, true) >>> 28) & 1;
  // One spare byte so the 24-bit fields can be written as little-endian 32-bit words.
  const data = new Uint8Array(11);
  data[0] = XMP_FLAG | (hasAlpha ? ALPHA_FLAG : 0);
  const view = new DataView(data.buffer);
  view.setUint32(4, (sniffed.width - 1) & 0xffffff, true);
  view.setUint32(7, (sniffed.height - 1) & 0xffffff, true);
  return chunk('VP8X', data.subarray(0, 10));
}

/**
 * Puts an XMP packet into a WebP without re-encoding it: a simple file becomes an extended one
 * (VP8X header with the XMP flag), and the `XMP ` chunk goes last, as the container spec orders
 * it. An existing XMP chunk is replaced. Returns whether one was replaced.
 */
export function embedXmpInWebp(webp: Uint8Array, xmp: string): { bytes: Uint8Array; replaced: boolean } {
  const chunks = readChunks(webp);
  const first = chunks[0];
  if (!first) throw new Error('WebP has no chunks');
  const parts: Uint8Array[] = [];
  if (first.fourcc === 'VP8X') {
    const header = webp.slice(first.start, first.end);
    header[8] = header[8]! | XMP_FLAG;
    parts.push(header);
  } else {
    parts.push(vp8xFor(webp, first), webp.subarray(first.start, first.end));
  }
  const rest = chunks.slice(1).filter((c) => c.fourcc !== 'XMP ');
  for (const c of rest) parts.push(webp.subarray(c.start, c.end));
  parts.push(chunk('XMP ', new TextEncoder().encode(xmp)));
  const body = Buffer.concat(parts);
  const header = new Uint8Array(12);
  header.set(new TextEncoder().encode('RIFF'), 0);
  new DataView(header.buffer).setUint32(4, body.byteLength + 4, true);
  header.set(new TextEncoder().encode('WEBP'), 8);
  return { bytes: Buffer.concat([header, body]), replaced: rest.length !== chunks.length - 1 };
}

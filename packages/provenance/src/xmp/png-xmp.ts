import { crc32 } from 'node:zlib';

const SIGNATURE_BYTES = 8;
const XMP_KEYWORD = 'XML:com.adobe.xmp';

interface PngChunk {
  type: string;
  /** Offset of the chunk's length field; the chunk spans `start` to `end`. */
  start: number;
  end: number;
  data: Uint8Array;
}

function readChunks(png: Uint8Array): PngChunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  let offset = SIGNATURE_BYTES;
  while (offset + 12 <= png.byteLength) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > png.byteLength) throw new Error('PNG chunk runs past the end of the file');
    chunks.push({ type, start: offset, end, data: png.subarray(offset + 8, offset + 8 + length) });
    offset = end;
    if (type === 'IEND') break;
  }
  return chunks;
}

/** Text chunks that may carry XMP: the spec's iTXt, and tEXt/zTXt as some encoders (libvips) write it. */
const TEXT_CHUNKS = new Set(['iTXt', 'tEXt', 'zTXt']);

function isXmpChunk(chunk: PngChunk): boolean {
  if (!TEXT_CHUNKS.has(chunk.type)) return false;
  const keyword = new TextDecoder().decode(chunk.data.subarray(0, XMP_KEYWORD.length + 1));
  return keyword === `${XMP_KEYWORD}\0`;
}

/** An uncompressed iTXt chunk with the XMP keyword, as the XMP specification asks for PNG. */
function xmpChunk(xmp: string): Uint8Array {
  const body = new TextEncoder().encode(`iTXt${XMP_KEYWORD}\0\0\0\0\0${xmp}`);
  const chunk = new Uint8Array(body.byteLength + 8);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.byteLength - 4);
  chunk.set(body, 4);
  view.setUint32(4 + body.byteLength, crc32(body));
  return chunk;
}

/**
 * Puts an XMP packet into a PNG without re-encoding it: the iTXt chunk goes right after IHDR, and
 * an XMP chunk already present is replaced (a PNG holds one). Returns whether one was replaced.
 */
export function embedXmpInPng(png: Uint8Array, xmp: string): { bytes: Uint8Array; replaced: boolean } {
  const chunks = readChunks(png);
  const ihdr = chunks[0];
  if (ihdr?.type !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
  const kept = chunks.filter((chunk) => !isXmpChunk(chunk));
  const parts: Uint8Array[] = [png.subarray(0, ihdr.end), xmpChunk(xmp)];
  for (const chunk of kept.slice(1)) parts.push(png.subarray(chunk.start, chunk.end));
  return { bytes: Buffer.concat(parts), replaced: kept.length !== chunks.length };
}

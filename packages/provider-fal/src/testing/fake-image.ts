/**
 * Real image bytes for the fake server without an image library: a single-colour PNG (zlib) and a
 * minimal baseline JPEG (one grey channel whose every 8x8 block is flat). Both decode in ordinary
 * viewers and carry their true dimensions, which is what the plugin and the kit check. Kept here
 * (not imported from a provider plugin) so this package's fakes need nothing beyond core.
 */
import { crc32, deflateSync } from 'node:zlib';

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG of one colour; rows repeat, so large images deflate to a few kilobytes. */
export function fakePng(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/**
 * A valid baseline JPEG of mid grey. The Huffman tables hold one code each ("0" for DC difference
 * 0 and "0" for end-of-block), so every block is two zero bits and the scan is all zero bytes.
 */
export function fakeJpeg(width: number, height: number): Uint8Array {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = new Uint8Array(Math.ceil((blocks * 2) / 8));
  const quant = segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const frame = segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const oneCode = (tableClass: number) =>
    segment(0xc4, [tableClass, 1, ...new Array<number>(15).fill(0), 0x00]);
  const scanHeader = segment(0xda, [1, 1, 0x00, 0, 63, 0]);
  return Uint8Array.from([
    0xff,
    0xd8,
    ...quant,
    ...frame,
    ...oneCode(0x00),
    ...oneCode(0x10),
    ...scanHeader,
    ...scan,
    0xff,
    0xd9,
  ]);
}

/** The bytes of one fake image in the asked format (`png` or `jpeg`). */
export function fakeImage(format: 'png' | 'jpeg', width: number, height: number, seed: number): Uint8Array {
  if (format === 'jpeg') return fakeJpeg(width, height);
  return fakePng(width, height, [seed % 256, (seed >> 8) % 256, (seed >> 16) % 256]);
}

import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Real, valid PNG, JPEG and WebP files of any size, drawn without an image library, for fake
 * provider servers and tests. Fakes used to draw with provider-local (and so with the 17 MB native
 * `sharp`); these encoders are small because the pictures are simple: a PNG is a vertical
 * two-colour gradient (with optional noise, for large files), a JPEG or WebP is one solid colour,
 * which both formats can store in a few dozen bytes of entropy-coded data. Every file decodes in
 * real decoders (libpng, libjpeg, libwebp: checked against sharp in provider-local's tests).
 */

/** What to draw. */
export interface TestImageOptions {
  width: number;
  height: number;
  /** Default `png`. */
  format?: 'png' | 'jpeg' | 'webp';
  /** Text the colours are derived from: the same prompt and seed give the same bytes. */
  prompt?: string;
  seed?: number;
  /** Per-pixel noise 0-1 (PNG only): noise makes files large, for size-limit tests and benchmarks. */
  noise?: number;
}

const MAX_PIXELS = 40_000_000;

/** A small, fast, seedable generator (mulberry32): deterministic across platforms. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rgb = [number, number, number];

/**
 * Draws a deterministic test image of the given size and format. Throws a RangeError for a size
 * that is not a positive integer pair or is over 40 megapixels.
 */
export function drawTestImage(options: TestImageOptions): Uint8Array {
  const { width, height } = options;
  const widthLimit = options.format === 'jpeg' || options.format === 'webp' ? 16_383 : 1 << 30;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > widthLimit ||
    height > widthLimit ||
    width * height > MAX_PIXELS
  ) {
    throw new RangeError(`cannot draw a ${width}x${height} test image`);
  }
  const digest = createHash('sha256')
    .update(`${options.prompt ?? ''}\u0000${options.seed ?? 0}`)
    .digest();
  const top: Rgb = [digest[0]!, digest[1]!, digest[2]!];
  const bottom: Rgb = [digest[3]!, digest[4]!, digest[5]!];
  switch (options.format ?? 'png') {
    case 'jpeg':
      return encodeSolidJpeg(width, height, top);
    case 'webp':
      return encodeSolidWebp(width, height, top);
    default:
      return encodePng(width, height, gradientRows(width, height, top, bottom, options.noise ?? 0, digest));
  }
}

/** Raw PNG scanlines (filter byte 0 then RGB triplets) of a vertical gradient, with optional noise. */
function gradientRows(
  width: number,
  height: number,
  top: Rgb,
  bottom: Rgb,
  noise: number,
  digest: Buffer,
): Buffer {
  const stride = 1 + width * 3;
  const raw = Buffer.alloc(stride * height);
  const amount = Math.max(0, Math.min(1, noise)) * 255;
  const random = mulberry32(digest.readUInt32LE(8));
  const pixel = Buffer.alloc(3);
  for (let y = 0; y < height; y++) {
    const t = height === 1 ? 0 : y / (height - 1);
    for (let channel = 0; channel < 3; channel++) {
      pixel[channel] = Math.round(top[channel]! + (bottom[channel]! - top[channel]!) * t);
    }
    const start = y * stride;
    raw.fill(pixel, start + 1, start + stride);
    if (amount > 0) {
      for (let index = start + 1; index < start + stride; index++) {
        const value = raw[index]! + (random() - 0.5) * amount;
        raw[index] = Math.max(0, Math.min(value, 255));
      }
    }
  }
  return raw;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * Encodes raw 8-bit scanlines (each starting with its filter byte) as a PNG: RGB by default,
 * grey (`colourType` 0, one byte a pixel) or RGBA (6, four bytes a pixel) for masks.
 */
export function encodePng(
  width: number,
  height: number,
  scanlines: Uint8Array,
  colourType: 0 | 2 | 6 = 2,
): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colourType; // 2: truecolour, 0: greyscale, 6: truecolour with alpha
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanlines)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** MSB-first bit writer with JPEG byte stuffing (0xFF is followed by 0x00 in entropy data). */
class JpegBitWriter {
  readonly bytes: number[] = [];
  #current = 0;
  #count = 0;

  write(value: number, length: number): void {
    for (let bit = length - 1; bit >= 0; bit--) {
      this.#current = (this.#current << 1) | ((value >> bit) & 1);
      if (++this.#count === 8) this.#flushByte();
    }
  }

  /** Pads the last byte with one-bits, as the standard asks. */
  finish(): void {
    while (this.#count !== 0) this.write(1, 1);
  }

  #flushByte(): void {
    this.bytes.push(this.#current);
    if (this.#current === 0xff) this.bytes.push(0x00);
    this.#current = 0;
    this.#count = 0;
  }
}

function jpegSegment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/**
 * A baseline JPEG of one colour. With a flat quantization table of ones, each 8x8 block holds only
 * its DC coefficient (8 x (value - 128)); every AC run is an end-of-block. The DC table gives the
 * twelve magnitude categories a 4-bit code each and the AC table holds only end-of-block, so after
 * the first block every block of every component is the same five zero bits.
 */
export function encodeSolidJpeg(width: number, height: number, rgb: Rgb): Uint8Array {
  const [r, g, b] = rgb;
  const components = [
    0.299 * r + 0.587 * g + 0.114 * b,
    128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
    128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
  ].map((value) => Math.round(8 * (Math.min(255, Math.max(0, value)) - 128)));
  const dqt = jpegSegment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const sof = jpegSegment(0xc0, [
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    3,
    1,
    0x11,
    0,
    2,
    0x11,
    0,
    3,
    0x11,
    0,
  ]);
  const dcBits = new Array<number>(16).fill(0);
  dcBits[3] = 12; // twelve codes of length 4: categories 0..11 get codes 0000..1011
  const dht = [
    ...jpegSegment(0xc4, [0x00, ...dcBits, ...Array.from({ length: 12 }, (_, index) => index)]),
    ...jpegSegment(0xc4, [0x10, 1, ...new Array<number>(15).fill(0), 0x00]),
  ];
  const sos = jpegSegment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);
  const writer = new JpegBitWriter();
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  for (let block = 0; block < blocks; block++) {
    for (const dc of components) {
      const diff = block === 0 ? dc : 0;
      const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      writer.write(category, 4);
      if (category > 0) writer.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
      writer.write(0, 1); // end of block
    }
  }
  writer.finish();
  return Uint8Array.from([0xff, 0xd8, ...dqt, ...sof, ...dht, ...sos, ...writer.bytes, 0xff, 0xd9]);
}

/**
 * A lossless WebP (VP8L) of one colour: no transforms, no colour cache, and five "simple" prefix
 * codes of one symbol each (green, red, blue, alpha 255, distance 0). A one-symbol code takes zero
 * bits to read, so the pixels themselves need no data at all.
 */
export function encodeSolidWebp(width: number, height: number, rgb: Rgb): Uint8Array {
  const bits: number[] = [];
  const write = (value: number, length: number) => {
    for (let bit = 0; bit < length; bit++) bits.push((value >> bit) & 1);
  };
  write(0x2f, 8); // VP8L signature
  write(width - 1, 14);
  write(height - 1, 14);
  write(0, 1); // alpha is not used
  write(0, 3); // version 0
  write(0, 1); // no transform
  write(0, 1); // no colour cache
  write(0, 1); // no meta prefix codes
  for (const symbol of [rgb[1], rgb[0], rgb[2], 255]) {
    write(1, 1); // simple code
    write(0, 1); // one symbol
    write(1, 1); // the symbol takes 8 bits
    write(symbol, 8);
  }
  write(1, 1); // distance code: simple, one symbol, 1-bit symbol 0
  write(0, 1);
  write(0, 1);
  write(0, 1);
  const data = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, index) => {
    data[index >> 3] = (data[index >> 3] ?? 0) | (bit << (index & 7));
  });
  const padded = data.length % 2 === 1 ? 1 : 0;
  const out = Buffer.alloc(20 + data.length + padded);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(12 + data.length + padded, 4);
  out.write('WEBP', 8, 'latin1');
  out.write('VP8L', 12, 'latin1');
  out.writeUInt32LE(data.length, 16);
  out.set(data, 20);
  return out;
}

import { createHash } from 'node:crypto';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { type FakeImagenContext, fail } from './fake-imagen-context.ts';

/** One input image as the fake decoded and checked it. */
export interface FakeInputImage {
  width: number;
  height: number;
  /** A short hash of the bytes: answers are drawn from it, so the same input gives the same output. */
  hash: string;
}

/** MIME types `inlineData` may declare for images (3.x also takes heic/heif) [reference 4.3]. */
const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif'];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The RPC error Google sends for an unusable input image (reference 4.8). */
function unusable(where: string, why: string): never {
  fail(400, 'Request contains an invalid argument.', [
    { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: `${where}: ${why}` },
  ]);
}

/**
 * Decodes one base64 image field and checks it like Google does: valid base64, within the inline
 * size limit, and an image by its magic bytes (whatever MIME type was declared).
 */
export function decodeInputImage(ctx: FakeImagenContext, data: unknown, where: string): FakeInputImage {
  if (typeof data !== 'string' || data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) {
    fail(400, `Invalid value at '${where}' (TYPE_BYTES), Base64 decoding failed.`);
  }
  const bytes = Buffer.from(data, 'base64');
  const limit = ctx.options.maxInlineImageBytes ?? 7_000_000;
  if (bytes.byteLength > limit) {
    fail(400, `${where}: the inline image is ${bytes.byteLength} bytes; the limit is ${limit} bytes.`);
  }
  const image = sniffImage(bytes);
  if (!image || image.mediaType === 'image/gif' || !image.width || !image.height) {
    unusable(where, 'the data is not a PNG, JPEG or WebP image');
  }
  return {
    width: image.width,
    height: image.height,
    hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
  };
}

/**
 * The `inlineData` image parts of a `generateContent` request, in any position among the text
 * parts: each declared as an image type, decoded and checked, at most `max` of them.
 */
export function readInlineImages(
  ctx: FakeImagenContext,
  modelId: string,
  parts: unknown[],
  max: number,
): FakeInputImage[] {
  const images: FakeInputImage[] = [];
  parts.forEach((part, index) => {
    const inline = (part as { inlineData?: { mimeType?: unknown; data?: unknown } }).inlineData;
    if (inline === undefined) return;
    const where = `contents[0].parts[${index}].inline_data`;
    if (typeof inline.mimeType !== 'string' || !INLINE_IMAGE_TYPES.includes(inline.mimeType)) {
      fail(400, `Unsupported MIME type: ${String(inline.mimeType)} at ${where}.`);
    }
    images.push(decodeInputImage(ctx, inline.data, `${where}.data`));
  });
  if (images.length > max) {
    fail(
      400,
      `Too many input images: ${images.length}. models/${modelId} accepts at most ${max} images per request.`,
    );
  }
  return images;
}

/** The model's ratio closest to an input's shape: what an edit without `aspectRatio` produces. */
export function closestRatio(ratios: Record<string, string>, input: FakeInputImage): string {
  const target = input.width / input.height;
  let best = Object.keys(ratios)[0]!;
  for (const ratio of Object.keys(ratios)) {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    const [bw, bh] = best.split(':').map(Number) as [number, number];
    if (Math.abs(Math.log(w / h / target)) < Math.abs(Math.log(bw / bh / target))) best = ratio;
  }
  return best;
}

import sharp from 'sharp';
import { decodeRgba } from './decode-pixels.ts';
import { encodePixels, type LocalFormat } from './encode-pixels.ts';
import { drawPixels } from './render-image.ts';

/** A mask as the local provider reads it (the pipeline has converted it to the model's convention). */
export interface LocalMask {
  bytes: Uint8Array;
  /** `alpha`: transparent pixels are edited; `luminance`: white pixels are edited. */
  convention: 'alpha' | 'luminance';
}

/** What {@link editImage} changes, and how. */
export interface EditImageOptions {
  /** The input images: the first is edited, the others are references whose colours it takes on. */
  images: Uint8Array[];
  mask?: LocalMask;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  format: LocalFormat;
  compression?: number;
  /** `high` keeps more of the input in the edited area, `low` less (default: in between). */
  inputFidelity?: 'low' | 'high';
  /** Provider id, for error messages. */
  provider: string;
}

/** How much of the new content replaces the input where the mask fully opens it. */
const STRENGTH_BY_FIDELITY = { high: 0.3, default: 0.5, low: 0.75 } as const;

/**
 * How much each pixel may change, 0-1, read from a decoded RGBA mask: under `alpha` a fully
 * transparent pixel is 1 and an opaque one 0 (OpenAI); under `luminance` white is 1 and black 0.
 * Without a mask the whole image may change, as an edit without a mask does upstream.
 */
function editWeights(
  mask: Buffer | undefined,
  convention: LocalMask['convention'],
  pixels: number,
): Float32Array {
  const weights = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    if (!mask) weights[i] = 1;
    else if (convention === 'alpha') weights[i] = 1 - mask[i * 4 + 3]! / 255;
    else weights[i] = (0.2126 * mask[i * 4]! + 0.7152 * mask[i * 4 + 1]! + 0.0722 * mask[i * 4 + 2]!) / 255;
  }
  return weights;
}

/** The mean colour of each reference image (all input images after the first). */
async function referenceColours(references: Uint8Array[]): Promise<number[][]> {
  return Promise.all(
    references.map(async (bytes) => {
      const { channels } = await sharp(bytes).toColourspace('srgb').stats();
      return [0, 1, 2].map((index) => channels[Math.min(index, channels.length - 1)]!.mean);
    }),
  );
}

/**
 * The content painted into the edited area: the local picture for this prompt and seed (what a
 * generation would draw), pulled halfway towards the reference images' average colour when there
 * are any, so every input image visibly shapes the result.
 */
async function editContent(options: EditImageOptions): Promise<Buffer> {
  const drawn = drawPixels({
    width: options.width,
    height: options.height,
    prompt: options.prompt,
    seed: options.seed,
  });
  const colours = await referenceColours(options.images.slice(1));
  if (colours.length === 0) return drawn;
  const average = [0, 1, 2].map((c) => colours.reduce((sum, colour) => sum + colour[c]!, 0) / colours.length);
  for (let i = 0; i < drawn.length; i++) drawn[i] = Math.round((drawn[i]! + average[i % 3]!) / 2);
  return drawn;
}

/**
 * A deterministic offline edit: the first input image, brought to the output size, with the
 * prompt's picture blended in wherever the mask allows (fully where it fully allows, not at all
 * where it forbids). Pixels the mask keeps come out byte for byte as they went in (PNG, or the
 * same raw values before a lossy encoding), which is what makes masks testable.
 */
export async function editImage(options: EditImageOptions): Promise<Uint8Array> {
  const { width, height, provider } = options;
  const size = { width, height, provider };
  const base = await decodeRgba(options.images[0]!, { ...size, label: 'input image 0' });
  const mask = options.mask
    ? await decodeRgba(options.mask.bytes, { ...size, kernel: 'nearest', label: 'the mask' })
    : undefined;
  const weights = editWeights(mask, options.mask?.convention ?? 'alpha', width * height);
  const content = await editContent(options);
  const strength = STRENGTH_BY_FIDELITY[options.inputFidelity ?? 'default'];
  for (let pixel = 0; pixel < width * height; pixel++) {
    const weight = weights[pixel]! * strength;
    if (weight === 0) continue;
    for (let c = 0; c < 3; c++) {
      const at = pixel * 4 + c;
      base[at] = Math.round(base[at]! + (content[pixel * 3 + c]! - base[at]!) * weight);
    }
    // An edited pixel becomes (more) opaque: a hole in the input is filled, not left transparent.
    const alpha = pixel * 4 + 3;
    base[alpha] = Math.round(base[alpha]! + (255 - base[alpha]!) * weights[pixel]!);
  }
  return encodePixels(base, { width, height, channels: 4 }, options.format, options.compression);
}

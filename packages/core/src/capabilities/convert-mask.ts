import { createHash } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.ts';
import type { MaskConvention } from '../models/model-descriptor.ts';
import type { ProviderMask } from '../provider/image-provider.ts';

/** The part of sharp the conversion uses. */
export type SharpFactory = typeof import('sharp');

let sharpLoading: Promise<SharpFactory> | undefined;

/** sharp from its module import, or a CONFIGURATION_ERROR saying what to install when it failed. */
export function sharpFrom(importing: Promise<unknown>): Promise<SharpFactory> {
  return importing.then(
    (module) => ((module as { default?: SharpFactory }).default ?? module) as SharpFactory,
    (error: unknown) => {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        "Converting a mask to the model's convention needs the optional dependency 'sharp'; install it next to @pixelgate/core (npm install sharp).",
        { cause: error },
      );
    },
  );
}

/**
 * sharp, loaded on the first conversion only: it is an optional peer dependency of core, so a
 * gateway that never converts a mask never needs it. A missing sharp is a CONFIGURATION_ERROR
 * (the caller's request was fine; the deployment lacks a part), and is tried again next time.
 */
export function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= sharpFrom(import('sharp')).catch((error: unknown) => {
    sharpLoading = undefined;
    throw error;
  });
  return sharpLoading;
}

/** `alpha` → `luminance`: transparent (edit) becomes white, opaque (keep) black; soft edges kept. */
async function alphaToLuminance(sharp: SharpFactory, bytes: Uint8Array): Promise<Buffer> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const out = Buffer.alloc(info.width * info.height);
  for (let pixel = 0; pixel < out.length; pixel++) out[pixel] = 255 - data[pixel * info.channels + 3]!;
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** `luminance` → `alpha`: white (edit) becomes transparent, black (keep) opaque black. */
async function luminanceToAlpha(sharp: SharpFactory, bytes: Uint8Array): Promise<Buffer> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: '#000000' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = Buffer.alloc(info.width * info.height * 4);
  for (let pixel = 0; pixel < info.width * info.height; pixel++) {
    out[pixel * 4 + 3] = 255 - data[pixel * info.channels]!;
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
}

/**
 * Redraws a mask in another convention (OpenAI's `alpha`: transparent pixels are edited;
 * Stability's and Imagen's `luminance`: white pixels are edited) as a PNG of the same size.
 * @throws GatewayError CONFIGURATION_ERROR when sharp is not installed.
 */
export async function convertMask(
  mask: ProviderMask,
  to: MaskConvention,
  load: () => Promise<SharpFactory> = loadSharp,
): Promise<ProviderMask> {
  if (mask.convention === to) return mask;
  const sharp = await load();
  const bytes =
    to === 'luminance'
      ? await alphaToLuminance(sharp, mask.bytes)
      : await luminanceToAlpha(sharp, mask.bytes);
  return {
    bytes,
    mediaType: 'image/png',
    width: mask.width,
    height: mask.height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    filename: 'mask.png',
    convention: to,
  };
}

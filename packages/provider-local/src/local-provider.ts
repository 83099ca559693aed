import {
  BackendError,
  type ImageProvider,
  type PixelSize,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderImage,
  type ProviderResult,
  parseSize,
  throwIfAborted,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { LOCAL_MODELS } from './local-catalog.ts';
import { editImage } from './local-edit.ts';
import { localOptionsSchema } from './local-options.ts';
import { createPacer } from './local-pacing.ts';
import { renderPartialImage } from './local-partial-images.ts';
import { varyImage } from './local-variation.ts';
import { renderImage } from './render-image.ts';

/** Settings of the local provider. */
export interface LocalProviderSettings {
  /** Provider id (default `local`). */
  id?: string;
  /**
   * Artificial latency per call in milliseconds, to make demos and load tests realistic. A
   * streamed call spreads it over its partial images.
   */
  latencyMs?: number;
  /** Per-pixel noise 0-1 (larger files); see {@link renderImage}. */
  noise?: number;
  /** Extra or replacement models. */
  models?: ModelDescriptorInput[];
}

/** Draws one final image of a call from its seed, at the output size. */
type DrawImage = (seed: number, size: PixelSize) => Promise<Uint8Array>;

/** The output size: the call's, else (edits, variations) the first input image's, else the model default. */
function outputSize(call: ProviderCall): PixelSize {
  const first = call.images?.[0];
  return (
    parseSize(call.size ?? '') ??
    (first ? { width: first.width, height: first.height } : undefined) ??
    parseSize(call.model.defaults.size ?? '') ?? { width: 1024, height: 1024 }
  );
}

/** Edits and variations start from input images; a call without one breaks the contract. */
function requireImages(call: ProviderCall, provider: string): NonNullable<ProviderCall['images']> {
  if (call.images && call.images.length > 0) return call.images;
  throw new BackendError(
    `${provider}: ${call.operation === 'edit' ? 'an edit' : 'a variation'} needs at least one input image.`,
    {
      reason: 'upstream_rejected',
      provider,
    },
  );
}

/**
 * The loop every operation shares: `n` images with consecutive seeds, the artificial latency, and
 * when the call streams, `partialImages` previews of each image reported in order through
 * `context.onPartialImage` before the final result returns. Stops with ABORTED or TIMEOUT as soon
 * as the signal fires, between any two steps.
 */
async function produceImages(
  call: ProviderCall,
  context: ProviderCallContext,
  settings: { id: string; latencyMs: number },
  draw: DrawImage,
): Promise<ProviderResult> {
  const { id } = settings;
  const partialCount = context.onPartialImage ? (call.partialImages ?? 0) : 0;
  const pacer = createPacer(settings.latencyMs, 1 + call.n * partialCount, context.signal, id);
  const size = outputSize(call);
  const format = call.outputFormat ?? 'png';
  const images: ProviderImage[] = [];
  await pacer.step();
  for (let imageIndex = 0; imageIndex < call.n; imageIndex++) {
    throwIfAborted(context.signal, id);
    const seed = ((call.seed ?? 0) + imageIndex) % 4_294_967_296;
    const bytes = await draw(seed, size);
    for (let partialImageIndex = 0; partialImageIndex < partialCount; partialImageIndex++) {
      const partial = await renderPartialImage(
        bytes,
        partialImageIndex,
        partialCount,
        format,
        call.outputCompression,
      );
      throwIfAborted(context.signal, id);
      context.onPartialImage?.({
        partialImageIndex,
        imageIndex,
        bytes: partial,
        mediaType: `image/${format}`,
      });
      await pacer.step();
    }
    images.push({ bytes, mediaType: `image/${format}`, seed });
  }
  throwIfAborted(context.signal, id);
  return { images, response: { modelId: call.model.id } };
}

/**
 * An offline provider that draws real, deterministic PNG/JPEG/WebP images: the same prompt, size
 * and seed give the same bytes. It also edits (the first input image with the prompt's picture
 * blended in where the mask allows, tinted by the reference images), makes variations and streams
 * partial images, so the whole Images API works in the demo, the examples and load tests without
 * credits or network. Its model descriptions say plainly that it is a placeholder.
 */
export function createLocalProvider(settings: LocalProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'local';
  const models = [...LOCAL_MODELS.map((m) => ({ ...m, provider: id })), ...(settings.models ?? [])];
  const loop = { id, latencyMs: settings.latencyMs ?? 0 };
  const compression = (call: ProviderCall) =>
    call.outputCompression === undefined ? {} : { compression: call.outputCompression };
  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: localOptionsSchema,
    generate: (call, context) =>
      produceImages(call, context, loop, (seed, size) =>
        renderImage({
          ...size,
          format: call.outputFormat ?? 'png',
          ...compression(call),
          prompt: `${call.prompt}\u0000${call.negativePrompt ?? ''}`,
          seed,
          noise: (call.providerOptions.noise as number | undefined) ?? settings.noise ?? 0,
        }),
      ),
    edit: async (call, context) => {
      const images = requireImages(call, id);
      return produceImages(call, context, loop, (seed, size) =>
        editImage({
          ...size,
          images: images.map((image) => image.bytes),
          ...(call.mask ? { mask: { bytes: call.mask.bytes, convention: call.mask.convention } } : {}),
          prompt: call.prompt,
          seed,
          format: call.outputFormat ?? 'png',
          ...compression(call),
          ...(call.inputFidelity ? { inputFidelity: call.inputFidelity } : {}),
          provider: id,
        }),
      );
    },
    createVariation: async (call, context) => {
      const [image] = requireImages(call, id);
      return produceImages(call, context, loop, (seed, size) =>
        varyImage({
          ...size,
          image: image!.bytes,
          seed,
          format: call.outputFormat ?? 'png',
          ...compression(call),
          provider: id,
        }),
      );
    },
  };
}

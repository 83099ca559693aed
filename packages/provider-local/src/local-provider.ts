import {
  abortErrorFrom,
  type ImageProvider,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseSize,
  throwIfAborted,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { LOCAL_MODELS } from './local-catalog.ts';
import { localOptionsSchema } from './local-options.ts';
import { renderImage } from './render-image.ts';

/** Settings of the local provider. */
export interface LocalProviderSettings {
  /** Provider id (default `local`). */
  id?: string;
  /** Artificial latency per call in milliseconds, to make demos and load tests realistic. */
  latencyMs?: number;
  /** Per-pixel noise 0-1 (larger files); see {@link renderImage}. */
  noise?: number;
  /** Extra or replacement models. */
  models?: ModelDescriptorInput[];
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortErrorFrom(signal, 'local'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal, 'local'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An offline provider that draws real, deterministic PNG/JPEG/WebP images: the same prompt, size
 * and seed give the same bytes. It powers the demo, the examples and load tests without credits or
 * network, and says plainly in its model description that it is a placeholder.
 */
export function createLocalProvider(settings: LocalProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'local';
  const models = [...LOCAL_MODELS.map((m) => ({ ...m, provider: id })), ...(settings.models ?? [])];
  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: localOptionsSchema,
    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      throwIfAborted(context.signal, id);
      if (settings.latencyMs) await delay(settings.latencyMs, context.signal);
      const size = parseSize(call.size ?? '') ?? parseSize(call.model.defaults.size ?? '1024x1024')!;
      const format = call.outputFormat ?? 'png';
      const baseSeed = call.seed ?? 0;
      const noise = (call.providerOptions.noise as number | undefined) ?? settings.noise ?? 0;
      const images = [];
      for (let index = 0; index < call.n; index++) {
        throwIfAborted(context.signal, id);
        const seed = (baseSeed + index) % 4_294_967_296;
        const bytes = await renderImage({
          width: size.width,
          height: size.height,
          format,
          ...(call.outputCompression === undefined ? {} : { compression: call.outputCompression }),
          prompt: `${call.prompt}\u0000${call.negativePrompt ?? ''}`,
          seed,
          noise,
        });
        images.push({ bytes, mediaType: `image/${format}`, seed });
      }
      return { images, response: { modelId: call.model.id } };
    },
  };
}

import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import { throwIfAborted } from '../provider/http/abort.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderPartialImage,
  ProviderResult,
} from '../provider/image-provider.ts';
import { parseSize } from '../shared/image-size.ts';
import { solidPng } from './solid-png.ts';

/** A recorded call of the mock provider. */
export interface MockProviderCall {
  call: ProviderCall;
  context: Omit<ProviderCallContext, 'logger' | 'signal'>;
}

/** A replacement for one of the mock's methods. */
export type MockMethod = (
  call: ProviderCall,
  context: ProviderCallContext,
) => Promise<ProviderResult> | ProviderResult;

/** Options of {@link createMockImageProvider}. */
export interface MockImageProviderOptions {
  id?: string;
  models?: ModelDescriptorInput[];
  /** Replaces the default behaviour (one solid PNG of the call's size per image). */
  generate?: MockMethod;
  /** Replaces the default edit (one solid PNG of the call's size, else the first input's, per image). */
  edit?: MockMethod;
  /** Replaces the default variation (as the default edit). */
  createVariation?: MockMethod;
  /**
   * Awaited after each partial image is reported (streamed calls): a test holds the call here to
   * stop reading mid-stream, or to check the order of events.
   */
  afterPartialImage?: (partial: ProviderPartialImage, context: ProviderCallContext) => Promise<void> | void;
}

/** A mock model that accepts most settings, so tests can exercise the pipeline without a real plugin. */
export const MOCK_MODEL: ModelDescriptorInput = {
  id: 'mock-image',
  provider: 'mock',
  aliases: ['mock'],
  capabilities: {
    sizes: ['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536'],
    aspectRatios: {},
    maxImagesPerCall: 4,
    maxImagesPerRequest: 10,
    qualities: ['low', 'medium', 'high'],
    styles: ['vivid', 'natural'],
    outputFormats: ['png'],
    maxPromptLength: 4000,
    seed: true,
    negativePrompt: true,
  },
  defaults: { size: '256x256', quality: 'medium' },
  pricing: {
    perImage: [
      { quality: 'low', usd: 0.01 },
      { quality: 'medium', usd: 0.04 },
      { quality: 'high', usd: 0.17 },
    ],
  },
};

/**
 * A mock model that edits (up to 4 images, an `alpha` mask, `input_fidelity`), makes variations
 * of square images and streams up to 3 partial images: the whole Images API without a plugin.
 */
export const MOCK_EDIT_MODEL: ModelDescriptorInput = {
  ...MOCK_MODEL,
  id: 'mock-edit',
  aliases: ['mock-edit-alias'],
  capabilities: {
    ...MOCK_MODEL.capabilities,
    edit: {
      maxImages: 4,
      input: { maxBytes: 4 * 1024 * 1024, maxPixels: 2048 * 2048, maxSide: 2048 },
      mask: { convention: 'alpha' },
      inputFidelity: ['low', 'high'],
    },
    variation: { input: { maxBytes: 4 * 1024 * 1024, maxPixels: 1024 * 1024, square: true } },
    stream: { maxPartialImages: 3, operations: ['generate', 'edit'] },
  },
  pricing: {
    perImage: [
      { operation: 'edit', usd: 0.05 },
      { operation: 'variation', usd: 0.02 },
      { quality: 'medium', usd: 0.04 },
      { usd: 0.04 },
    ],
  },
};

/** The size a default mock image gets: the call's, else the first input image's, else 64x64. */
function outputSize(call: ProviderCall): { width: number; height: number } {
  const first = call.images?.[0];
  return (
    parseSize(call.size ?? '') ??
    (first ? { width: first.width, height: first.height } : { width: 64, height: 64 })
  );
}

/** Reports `call.partialImages` small partial images per image, in order, when the call streams. */
async function reportPartialImages(
  call: ProviderCall,
  context: ProviderCallContext,
  options: MockImageProviderOptions,
  id: string,
): Promise<void> {
  if (!call.partialImages || !context.onPartialImage) return;
  for (let imageIndex = 0; imageIndex < call.n; imageIndex++) {
    for (let partialImageIndex = 0; partialImageIndex < call.partialImages; partialImageIndex++) {
      throwIfAborted(context.signal, id);
      const shade = 40 + partialImageIndex * 60;
      const partial = {
        imageIndex,
        partialImageIndex,
        bytes: solidPng(8, 8, [shade, shade, shade]),
        mediaType: 'image/png',
      };
      context.onPartialImage(partial);
      await options.afterPartialImage?.(partial, context);
    }
  }
  throwIfAborted(context.signal, id);
}

/** One solid PNG per image. */
function solidImages(call: ProviderCall): ProviderResult {
  const size = outputSize(call);
  const bytes = solidPng(size.width, size.height);
  return {
    images: Array.from({ length: call.n }, (_, index) => ({
      bytes,
      mediaType: 'image/png',
      ...(call.seed === undefined ? {} : { seed: call.seed + index }),
    })),
  };
}

/**
 * A provider whose behaviour a test injects. Every call is recorded (`calls`), so a test can
 * assert what the pipeline sent: split sizes, seeds, credentials, the redacted prompt.
 */
export function createMockImageProvider(
  options: MockImageProviderOptions = {},
): ImageProvider & { calls: MockProviderCall[] } {
  const id = options.id ?? 'mock';
  const calls: MockProviderCall[] = [];
  const perform = async (
    call: ProviderCall,
    context: ProviderCallContext,
    replacement: MockMethod | undefined,
  ): Promise<ProviderResult> => {
    const { logger: _logger, signal: _signal, onPartialImage: _onPartialImage, ...rest } = context;
    calls.push({ call, context: rest });
    throwIfAborted(context.signal, id);
    if (replacement) return replacement(call, context);
    await reportPartialImages(call, context, options, id);
    return solidImages(call);
  };
  return {
    specificationVersion: 'v1',
    id,
    models: (options.models ?? [MOCK_MODEL]).map((model) => ({ ...model, provider: id })),
    calls,
    generate: (call, context) => perform(call, context, options.generate),
    edit: (call, context) => perform(call, context, options.edit),
    createVariation: (call, context) => perform(call, context, options.createVariation),
  };
}

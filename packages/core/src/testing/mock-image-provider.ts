import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import { throwIfAborted } from '../provider/http/abort.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderResult,
} from '../provider/image-provider.ts';
import { parseSize } from '../shared/image-size.ts';
import { solidPng } from './solid-png.ts';

/** A recorded call of the mock provider. */
export interface MockProviderCall {
  call: ProviderCall;
  context: Omit<ProviderCallContext, 'logger' | 'signal'>;
}

/** Options of {@link createMockImageProvider}. */
export interface MockImageProviderOptions {
  id?: string;
  models?: ModelDescriptorInput[];
  /** Replaces the default behaviour (one solid PNG of the call's size per image). */
  generate?: (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult> | ProviderResult;
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
 * A provider whose behaviour a test injects. Every call is recorded (`calls`), so a test can
 * assert what the pipeline sent: split sizes, seeds, credentials, the redacted prompt.
 */
export function createMockImageProvider(
  options: MockImageProviderOptions = {},
): ImageProvider & { calls: MockProviderCall[] } {
  const id = options.id ?? 'mock';
  const calls: MockProviderCall[] = [];
  return {
    specificationVersion: 'v1',
    id,
    models: (options.models ?? [MOCK_MODEL]).map((model) => ({ ...model, provider: id })),
    calls,
    async generate(call, context) {
      const { logger: _logger, signal: _signal, ...rest } = context;
      calls.push({ call, context: rest });
      throwIfAborted(context.signal, id);
      if (options.generate) return options.generate(call, context);
      const size = parseSize(call.size ?? '') ?? { width: 64, height: 64 };
      const bytes = solidPng(size.width, size.height);
      return {
        images: Array.from({ length: call.n }, (_, index) => ({
          bytes,
          mediaType: 'image/png',
          ...(call.seed === undefined ? {} : { seed: call.seed + index }),
        })),
      };
    },
  };
}

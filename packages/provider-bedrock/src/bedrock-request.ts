/**
 * The InvokeModel request bodies: Nova Canvas and Titan take `taskType: TEXT_IMAGE` with
 * `textToImageParams` and `imageGenerationConfig`; Stability models take flat fields.
 */
import type { ProviderCall } from '@pixelgate/core/provider-utils';
import { parseSize, validationError } from '@pixelgate/core/provider-utils';
import type { BedrockProviderData } from './bedrock-catalog.ts';
import type { BedrockOptions } from './bedrock-options.ts';

/** The pixel size a call produces. */
export function pixelSizeOf(call: ProviderCall): { width: number; height: number } {
  const text = call.aspectRatio
    ? call.model.capabilities.aspectRatios[call.aspectRatio]
    : call.size && call.size !== 'auto'
      ? call.size
      : call.model.defaults.size;
  const size = parseSize(text ?? '');
  if (!size)
    throw validationError('size', `'${call.model.provider}/${call.model.id}' needs a WIDTHxHEIGHT size.`);
  return size;
}

function amazonImageBody(call: ProviderCall, options: BedrockOptions): Record<string, unknown> {
  const { width, height } = pixelSizeOf(call);
  return {
    taskType: 'TEXT_IMAGE',
    textToImageParams: {
      text: call.prompt,
      ...(call.negativePrompt === undefined ? {} : { negativeText: call.negativePrompt }),
    },
    imageGenerationConfig: {
      numberOfImages: call.n,
      width,
      height,
      ...(call.quality === undefined ? {} : { quality: call.quality }),
      ...(options.cfg_scale === undefined ? {} : { cfgScale: options.cfg_scale }),
      ...(call.seed === undefined ? {} : { seed: call.seed }),
    },
  };
}

function stabilityBody(call: ProviderCall): Record<string, unknown> {
  return {
    prompt: call.prompt,
    mode: 'text-to-image',
    aspect_ratio: call.aspectRatio ?? call.model.defaults.aspectRatio ?? '1:1',
    output_format: call.outputFormat ?? 'png',
    ...(call.seed === undefined ? {} : { seed: call.seed }),
    ...(call.negativePrompt === undefined ? {} : { negative_prompt: call.negativePrompt }),
  };
}

/** The JSON body for one call. */
export function requestBody(
  call: ProviderCall,
  route: BedrockProviderData,
  options: BedrockOptions,
): Record<string, unknown> {
  return route.family === 'amazon-image' ? amazonImageBody(call, options) : stabilityBody(call);
}

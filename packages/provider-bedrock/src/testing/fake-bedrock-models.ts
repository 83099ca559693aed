/**
 * The fake Bedrock server's model behaviour: request validation per family (by the same catalog
 * data as the plugin) and the answers Nova Canvas, Titan and the Stability models give.
 */

import { drawTestImage } from '@pixelgate/core/provider-utils';
import { type BedrockProviderData, bedrockModels } from '../bedrock-catalog.ts';

/** A model the fake serves. */
export interface FakeBedrockModel {
  id: string;
  family: BedrockProviderData['family'];
  sizes: readonly string[];
  sizeRule?: { minSide: number; maxSide: number; multipleOf?: number; maxPixels?: number };
  ratios: Record<string, string>;
  maxImages: number;
  maxPromptLength: number;
}

/** The catalog's models by id. */
export function fakeBedrockModels(): Map<string, FakeBedrockModel> {
  return new Map(
    bedrockModels().map((model) => {
      const data = model.providerData as BedrockProviderData;
      const capabilities = model.capabilities;
      return [
        model.id,
        {
          id: model.id,
          family: data.family,
          sizes: capabilities.sizes ?? [],
          ...(capabilities.sizeRule ? { sizeRule: capabilities.sizeRule } : {}),
          ratios: capabilities.aspectRatios ?? {},
          maxImages: capabilities.maxImagesPerCall,
          maxPromptLength: capabilities.maxPromptLength,
        },
      ];
    }),
  );
}

/** What a valid request asks the fake to draw. */
export interface FakeDraw {
  count: number;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  seed: number;
  prompt: string;
}

type Checked = { error: string } | FakeDraw;

function checkSize(model: FakeBedrockModel, width: unknown, height: unknown): string | undefined {
  if (typeof width !== 'number' || typeof height !== 'number')
    return 'imageGenerationConfig.width and height are required integers';
  if (model.sizes.includes(`${width}x${height}`)) return undefined;
  const rule = model.sizeRule;
  if (!rule)
    return `The size ${width}x${height} is not supported; supported sizes: ${model.sizes.join(', ')}`;
  const ok = [width, height].every(
    (side) =>
      Number.isInteger(side) &&
      side >= rule.minSide &&
      side <= rule.maxSide &&
      side % (rule.multipleOf ?? 1) === 0,
  );
  if (!ok || width * height > (rule.maxPixels ?? Number.POSITIVE_INFINITY)) {
    return `width and height must be multiples of ${rule.multipleOf ?? 1} between ${rule.minSide} and ${rule.maxSide}, at most ${rule.maxPixels} pixels`;
  }
  return undefined;
}

function checkAmazon(model: FakeBedrockModel, body: Record<string, unknown>): Checked {
  if (body.taskType !== 'TEXT_IMAGE')
    return { error: `taskType '${String(body.taskType)}' is not supported by this fake` };
  const params = (body.textToImageParams ?? {}) as Record<string, unknown>;
  const config = (body.imageGenerationConfig ?? {}) as Record<string, unknown>;
  if (
    typeof params.text !== 'string' ||
    params.text.length < 1 ||
    params.text.length > model.maxPromptLength
  ) {
    return { error: `textToImageParams.text must be 1 to ${model.maxPromptLength} characters` };
  }
  const count = config.numberOfImages ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > model.maxImages)
    return { error: `numberOfImages must be between 1 and ${model.maxImages}` };
  if (config.quality !== undefined && config.quality !== 'standard' && config.quality !== 'premium')
    return { error: "quality must be 'standard' or 'premium'" };
  if (
    config.cfgScale !== undefined &&
    !(typeof config.cfgScale === 'number' && config.cfgScale >= 1.1 && config.cfgScale <= 10)
  )
    return { error: 'cfgScale must be between 1.1 and 10' };
  const sizeError = checkSize(model, config.width, config.height);
  if (sizeError) return { error: sizeError };
  const seed = typeof config.seed === 'number' ? config.seed : 42;
  return {
    count,
    width: config.width as number,
    height: config.height as number,
    format: 'png',
    seed,
    prompt: params.text,
  };
}

function checkStability(model: FakeBedrockModel, body: Record<string, unknown>): Checked {
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) return { error: 'prompt is required' };
  const ratio = String(body.aspect_ratio ?? '1:1');
  const size = model.ratios[ratio];
  if (!size) return { error: `aspect_ratio must be one of ${Object.keys(model.ratios).join(', ')}` };
  const format = body.output_format ?? 'png';
  if (format !== 'png' && format !== 'jpeg') return { error: "output_format must be 'png' or 'jpeg'" };
  const [width, height] = size.split('x').map(Number) as [number, number];
  return {
    count: 1,
    width,
    height,
    format,
    seed: typeof body.seed === 'number' ? body.seed : 1234,
    prompt: body.prompt,
  };
}

/** Validates a request body for a model; the error text is what a ValidationException would say. */
export function checkRequest(model: FakeBedrockModel, body: Record<string, unknown>): Checked {
  return model.family === 'amazon-image' ? checkAmazon(model, body) : checkStability(model, body);
}

/** The success body a model answers with; `filtered` images are withheld or marked per family. */
export function answerFor(
  model: FakeBedrockModel,
  draw: FakeDraw,
  filtered: number,
): Record<string, unknown> {
  const images = Array.from({ length: draw.count }, (_, index) =>
    Buffer.from(
      drawTestImage({ format: draw.format, width: draw.width, height: draw.height, seed: draw.seed + index }),
    ).toString('base64'),
  );
  if (model.family === 'stability') {
    return {
      seeds: images.map((_, index) => draw.seed + index),
      finish_reasons: images.map((_, index) => (index < filtered ? 'Filter reason: output image' : null)),
      images,
    };
  }
  if (filtered === 0) return { images };
  return {
    images: images.slice(filtered),
    error: 'Some of the generated images were blocked by our content filters.',
  };
}

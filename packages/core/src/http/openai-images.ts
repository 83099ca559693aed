import { type GenerationResult, toOpenAIImagesResponse } from '../pipeline/generation-result.ts';

/** The settings OpenAI echoes next to images (`ImagesResponse` and the stream events). */
export interface EchoedSettings {
  size?: string;
  quality?: string;
  background?: string;
  output_format?: string;
}

const FORMAT_OF_MEDIA_TYPE: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
};

/** The value a field really had: the coerced one when a warning says so, else what was asked. */
function effective(result: Pick<GenerationResult, 'warnings'>, body: Record<string, unknown>, field: string) {
  const coerced = result.warnings.find((warning) => warning.param === field && warning.type === 'coerced');
  if (coerced && typeof coerced.to === 'string') return coerced.to;
  const asked = body[field];
  return typeof asked === 'string' ? asked : undefined;
}

/**
 * What pixelgate knows of the settings that made the images: the size and format from the
 * images themselves, quality and background as used (after any coercion). Unknown ones are left
 * out rather than guessed.
 */
export function echoedSettings(
  result: Pick<GenerationResult, 'warnings' | 'images'>,
  body: Record<string, unknown>,
): EchoedSettings {
  const first = result.images[0];
  const settings: EchoedSettings = {};
  if (first?.width && first.height) settings.size = `${first.width}x${first.height}`;
  else {
    const size = effective(result, body, 'size');
    if (size) settings.size = size;
  }
  const quality = effective(result, body, 'quality');
  if (quality) settings.quality = quality;
  const background = effective(result, body, 'background');
  if (background) settings.background = background;
  const format = first ? FORMAT_OF_MEDIA_TYPE[first.mediaType] : effective(result, body, 'output_format');
  if (format) settings.output_format = format;
  return settings;
}

/**
 * OpenAI's current `ImagesResponse`: `created`, `data`, `usage` in OpenAI's names when token usage
 * is known, and `size`, `quality`, `background`, `output_format` where known.
 */
export function toOpenAIImagesBody(
  result: GenerationResult,
  body: Record<string, unknown>,
): Record<string, unknown> {
  return { ...toOpenAIImagesResponse(result), ...echoedSettings(result, body) };
}

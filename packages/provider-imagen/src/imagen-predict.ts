import {
  BackendError,
  type GenerationWarning,
  type ProviderCall,
  type ProviderImage,
  type ProviderResult,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core';
import type { GoogleApi, GoogleModelData } from './google-model-data.ts';
import {
  decodeImage,
  readOptions,
  refuse,
  resolveOutput,
  resolveShape,
  userWarning,
} from './google-shared.ts';
import { predictResponseSchema } from './imagen-api.ts';

/** The body of `:predict` as Imagen takes it; written once here as the wire contract. */
export interface ImagenPredictBody {
  instances: Array<{ prompt: string }>;
  parameters: Record<string, unknown>;
}

/**
 * Builds the `:predict` body for one call. What the Gemini API route cannot do (negative prompt,
 * seed, watermark off, prompt enhancement: its SDK refused them client-side) is refused here
 * with an error naming the field, never silently left out.
 */
export function buildImagenBody(
  call: ProviderCall,
  data: GoogleModelData,
  api: GoogleApi,
  providerId: string,
): { body: ImagenPredictBody; warnings: GenerationWarning[] } {
  const options = readOptions(call, providerId);
  const optionParam = (name: string) => `provider_options.${providerId}.${name}`;
  if (api === 'gemini') {
    if (call.negativePrompt !== undefined) {
      refuse(
        'negative_prompt',
        `The Gemini API does not accept a negative prompt for Imagen; use the Vertex AI route.`,
      );
    }
    if (call.seed !== undefined) {
      refuse(
        'seed',
        'The Gemini API does not accept a seed for Imagen (its watermark cannot be turned off); use the Vertex AI route.',
      );
    }
    if (options.addWatermark === false) {
      refuse(
        optionParam('addWatermark'),
        'The Gemini API cannot turn the SynthID watermark off; use the Vertex AI route.',
      );
    }
    if (options.enhancePrompt !== undefined) {
      refuse(
        optionParam('enhancePrompt'),
        'The Gemini API does not accept enhancePrompt for Imagen; use the Vertex AI route.',
      );
    }
  } else if (call.seed !== undefined && options.addWatermark !== false) {
    refuse(
      'seed',
      `Imagen ignores a seed while its SynthID watermark is on. To use a seed, also set ${optionParam('addWatermark')} to false (the image is then not watermarked).`,
    );
  }

  const shape = resolveShape(call, data);
  const output = resolveOutput(call, options, providerId);
  const parameters: Record<string, unknown> = {
    sampleCount: call.n,
    aspectRatio: shape.aspectRatio,
    ...(shape.tier ? { sampleImageSize: shape.tier } : {}),
    ...(call.negativePrompt === undefined ? {} : { negativePrompt: call.negativePrompt }),
    ...(call.seed === undefined ? {} : { seed: call.seed }),
    // On the Gemini API the watermark is always on; `true` is its only value and is not sent.
    ...(api === 'vertex' && options.addWatermark !== undefined ? { addWatermark: options.addWatermark } : {}),
    ...(options.enhancePrompt === undefined ? {} : { enhancePrompt: options.enhancePrompt }),
    ...(options.personGeneration ? { personGeneration: options.personGeneration } : {}),
    ...(options.safetySetting ? { safetySetting: options.safetySetting } : {}),
    ...(options.language ? { language: options.language } : {}),
    // Always: without it a filtered image simply goes missing and the gap cannot be explained.
    includeRaiReason: true,
    ...(options.includeSafetyAttributes ? { includeSafetyAttributes: true } : {}),
    ...(Object.keys(output).length > 0 ? { outputOptions: output } : {}),
  };
  return { body: { instances: [{ prompt: call.prompt }], parameters }, warnings: userWarning(call) };
}

function label(providerId: string, kind: string, value: string): string {
  return `provider:${providerId}:${kind}:${value.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/**
 * Turns `predictions[]` into images. The "Positive Prompt" entry scores the prompt and is not an
 * image; a `raiFilteredReason` entry explains missing images. Partial filtering returns the
 * images that passed with `filteredCount`, a warning and a label; total filtering (HTTP 200 with
 * only the reason) is a `content_filtered` BackendError, which dispatch never retries.
 */
export function parseImagenResponse(
  body: unknown,
  call: ProviderCall,
  providerId: string,
  secrets: ReadonlyArray<string | undefined>,
): ProviderResult {
  const parsed = predictResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new BackendError(`${providerId}: the :predict answer is not the documented shape.`, {
      reason: 'malformed_response',
      provider: providerId,
      upstreamStatus: 200,
    });
  }
  const warnings: GenerationWarning[] = [];
  const images: ProviderImage[] = [];
  const labels: string[] = [];
  const reasons: string[] = [];
  for (const prediction of parsed.data.predictions ?? []) {
    if (prediction.contentType === 'Positive Prompt') {
      for (const category of prediction.safetyAttributes?.categories ?? [])
        labels.push(label(providerId, 'prompt', category));
      continue;
    }
    if (prediction.raiFilteredReason && !prediction.bytesBase64Encoded) {
      reasons.push(truncateText(stripBase64(redactSecrets(prediction.raiFilteredReason, secrets)), 400));
      continue;
    }
    if (prediction.bytesBase64Encoded) {
      const image = decodeImage(prediction.bytesBase64Encoded, prediction.mimeType, providerId, warnings);
      if (prediction.prompt) image.revisedPrompt = prediction.prompt;
      const categories = prediction.safetyAttributes?.categories ?? [];
      if (categories.length > 0)
        image.labels = categories.map((category) => label(providerId, 'safety', category));
      images.push(image);
      continue;
    }
    if (prediction.gcsUri) {
      throw new BackendError(
        `${providerId}: Imagen wrote the image to Cloud Storage instead of returning it.`,
        {
          reason: 'malformed_response',
          provider: providerId,
          upstreamStatus: 200,
          retryable: false,
        },
      );
    }
  }

  if (images.length === 0) {
    if (reasons.length > 0) {
      throw new BackendError(`Google's safety filter withheld every image: ${reasons.join(' ')}`, {
        reason: 'content_filtered',
        provider: providerId,
        upstreamStatus: 200,
        upstreamCode: 'raiFilteredReason',
        details: { filtered_count: call.n, labels: [`provider:${providerId}:rai:filtered`] },
      });
    }
    throw new BackendError(`${providerId}: Imagen answered with no image and no reason.`, {
      reason: 'malformed_response',
      provider: providerId,
      upstreamStatus: 200,
    });
  }

  let filteredCount = 0;
  if (images.length < call.n) {
    filteredCount = call.n - images.length;
    labels.push(`provider:${providerId}:rai:filtered`);
    warnings.push({
      type: 'content_filtered',
      param: 'n',
      message:
        `Google's safety filter withheld ${filteredCount} of ${call.n} images` +
        (reasons.length > 0 ? `: ${reasons.join(' ')}` : ' (no reason given).'),
      from: call.n,
      to: images.length,
    });
  } else if (images.length > call.n) {
    warnings.push({
      type: 'other',
      param: 'n',
      message: `Imagen returned ${images.length} images for sampleCount ${call.n}; the extra ones were discarded.`,
    });
    images.length = call.n;
  }

  return {
    images,
    ...(filteredCount > 0 ? { filteredCount } : {}),
    ...(labels.length > 0 ? { labels: [...new Set(labels)] } : {}),
    warnings,
    response: { modelId: call.model.id, status: 200 },
  };
}

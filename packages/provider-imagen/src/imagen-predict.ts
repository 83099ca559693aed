import {
  BackendError,
  type GenerationWarning,
  type ProviderCall,
  type ProviderImage,
  type ProviderResult,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import type { GoogleApi, GoogleModelData } from './google-model-data.ts';
import {
  decodeImage,
  readOptions,
  refuse,
  resolveOutput,
  resolveShape,
  userWarning,
} from './google-shared.ts';
import { type PredictResponse, predictResponseSchema } from './imagen-api.ts';
import type { GoogleImageOptions } from './imagen-options.ts';

/** The body of `:predict` as Imagen takes it; written once here as the wire contract. */
export interface ImagenPredictBody {
  instances: Array<{ prompt: string; referenceImages?: Array<Record<string, unknown>> }>;
  parameters: Record<string, unknown>;
}

/**
 * What the chosen route cannot do, refused with an error naming the field, never silently left
 * out: on the Gemini API a negative prompt, a seed, the watermark off and prompt enhancement (its
 * SDK refused them client-side); on Vertex a seed while the watermark is on (Imagen ignores it).
 */
export function refuseForImagenRoute(
  call: ProviderCall,
  options: GoogleImageOptions,
  api: GoogleApi,
  providerId: string,
): void {
  const optionParam = (name: string) => `provider_options.${providerId}.${name}`;
  if (api === 'vertex') {
    if (call.seed !== undefined && options.addWatermark !== false) {
      refuse(
        'seed',
        `Imagen ignores a seed while its SynthID watermark is on. To use a seed, also set ${optionParam('addWatermark')} to false (the image is then not watermarked).`,
      );
    }
    return;
  }
  if (call.negativePrompt !== undefined) {
    refuse(
      'negative_prompt',
      'The Gemini API does not accept a negative prompt for Imagen; use the Vertex AI route.',
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
}

/** The `parameters` generation and editing share: count, prompt controls, safety, output. */
export function commonImagenParameters(
  call: ProviderCall,
  options: GoogleImageOptions,
  api: GoogleApi,
  providerId: string,
): Record<string, unknown> {
  const output = resolveOutput(call, options, providerId);
  return {
    sampleCount: call.n,
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
}

/** Options of Imagen edits, refused on generation calls by name. */
const EDIT_ONLY_OPTIONS = ['editMode', 'maskMode', 'maskDilation', 'baseSteps'] as const;

/**
 * Builds the `:predict` body for one generation call. What the route cannot do is refused by
 * {@link refuseForImagenRoute}; edit-only options are refused by name.
 */
export function buildImagenBody(
  call: ProviderCall,
  data: GoogleModelData,
  api: GoogleApi,
  providerId: string,
): { body: ImagenPredictBody; warnings: GenerationWarning[] } {
  const options = readOptions(call, providerId);
  for (const name of EDIT_ONLY_OPTIONS) {
    if (options[name] !== undefined) {
      refuse(
        `provider_options.${providerId}.${name}`,
        `${name} applies to Imagen edits only (images.edit with an editing model).`,
      );
    }
  }
  refuseForImagenRoute(call, options, api, providerId);
  const shape = resolveShape(call, data);
  const parameters: Record<string, unknown> = {
    ...commonImagenParameters(call, options, api, providerId),
    aspectRatio: shape.aspectRatio,
    ...(shape.tier ? { sampleImageSize: shape.tier } : {}),
  };
  return { body: { instances: [{ prompt: call.prompt }], parameters }, warnings: userWarning(call) };
}

function label(providerId: string, kind: string, value: string): string {
  return `provider:${providerId}:${kind}:${value.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/** What the `predictions[]` of one answer hold, sorted. */
interface PredictionTally {
  images: ProviderImage[];
  labels: string[];
  /** Filter reasons of entries that explain a missing image. */
  reasons: string[];
  /** Entries written to Cloud Storage (`gcsUri`) instead of returned. */
  stored: number;
  warnings: GenerationWarning[];
}

function tallyPredictions(
  predictions: NonNullable<PredictResponse['predictions']>,
  providerId: string,
  secrets: ReadonlyArray<string | undefined>,
): PredictionTally {
  const tally: PredictionTally = { images: [], labels: [], reasons: [], stored: 0, warnings: [] };
  for (const prediction of predictions) {
    if (prediction.contentType === 'Positive Prompt') {
      for (const category of prediction.safetyAttributes?.categories ?? [])
        tally.labels.push(label(providerId, 'prompt', category));
    } else if (prediction.raiFilteredReason && !prediction.bytesBase64Encoded) {
      tally.reasons.push(
        truncateText(stripBase64(redactSecrets(prediction.raiFilteredReason, secrets)), 400),
      );
    } else if (prediction.bytesBase64Encoded) {
      const image = decodeImage(
        prediction.bytesBase64Encoded,
        prediction.mimeType,
        providerId,
        tally.warnings,
      );
      if (prediction.prompt) image.revisedPrompt = prediction.prompt;
      const categories = prediction.safetyAttributes?.categories ?? [];
      if (categories.length > 0)
        image.labels = categories.map((category) => label(providerId, 'safety', category));
      tally.images.push(image);
    } else if (prediction.gcsUri) {
      // Read on: the remaining entries may explain filtered images, which must not be lost.
      tally.stored++;
    }
  }
  return tally;
}

/** The error for an answer without any image: filtered, written to Cloud Storage, or unexplained. */
function noImageError(tally: PredictionTally, call: ProviderCall, providerId: string): BackendError {
  const filteredLabel = `provider:${providerId}:rai:filtered`;
  const filtered = tally.reasons.length > 0 ? Math.max(1, call.n - tally.stored) : 0;
  const details = {
    ...(filtered > 0 ? { filtered_count: filtered } : {}),
    labels: [...new Set([...tally.labels, ...(filtered > 0 ? [filteredLabel] : [])])],
  };
  if (tally.stored > 0) {
    return new BackendError(
      `${providerId}: Imagen wrote ${tally.stored} image(s) to Cloud Storage (gcsUri) instead of returning them; a proxy or a default must be setting storageUri, which pixelgate does not support (it stores images itself).` +
        (tally.reasons.length > 0
          ? ` Google's safety filter withheld the others: ${tally.reasons.join(' ')}`
          : ''),
      { reason: 'malformed_response', provider: providerId, upstreamStatus: 200, retryable: false, details },
    );
  }
  if (tally.reasons.length > 0) {
    return new BackendError(`Google's safety filter withheld every image: ${tally.reasons.join(' ')}`, {
      reason: 'content_filtered',
      provider: providerId,
      upstreamStatus: 200,
      upstreamCode: 'raiFilteredReason',
      details: { filtered_count: call.n, labels: [filteredLabel] },
    });
  }
  return new BackendError(`${providerId}: Imagen answered with no image and no reason.`, {
    reason: 'malformed_response',
    provider: providerId,
    upstreamStatus: 200,
  });
}

/**
 * Turns `predictions[]` into images. The "Positive Prompt" entry scores the prompt and is not an
 * image; a `raiFilteredReason` entry explains missing images. Partial filtering returns the
 * images that passed with `filteredCount`, a warning and a label; total filtering (HTTP 200 with
 * only the reason) is a `content_filtered` BackendError, which dispatch never retries. Entries
 * carrying `gcsUri` (Google wrote the image to Cloud Storage because a proxy set `storageUri`)
 * are not images pixelgate can deliver: they are reported as failed (`failedCount`, a `partial`
 * warning), or, when nothing else came back, as a non-retryable `malformed_response` that keeps
 * the filter information.
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
  const tally = tallyPredictions(parsed.data.predictions ?? [], providerId, secrets);
  const { images, labels, reasons, warnings } = tally;
  if (images.length === 0) throw noImageError(tally, call, providerId);

  const stored = Math.min(tally.stored, call.n - images.length);
  let filteredCount = 0;
  if (images.length + stored < call.n) {
    filteredCount = call.n - images.length - stored;
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
  if (stored > 0) {
    labels.push(`provider:${providerId}:gcs_output`);
    warnings.push({
      type: 'partial',
      param: 'n',
      message: `Imagen wrote ${stored} of ${call.n} images to Cloud Storage (gcsUri) instead of returning them; pixelgate does not read them, and the call is not retried.`,
      from: call.n,
      to: images.length,
    });
  }

  return {
    images,
    ...(filteredCount > 0 ? { filteredCount } : {}),
    ...(stored > 0 ? { failedCount: stored } : {}),
    ...(labels.length > 0 ? { labels: [...new Set(labels)] } : {}),
    warnings,
    response: { modelId: call.model.id, status: 200 },
  };
}

import {
  BackendError,
  decodeBase64,
  type GenerationWarning,
  type ProviderCall,
  type ProviderImage,
  sniffImage,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptor } from '@pixelgate/core/spec';
import type { GoogleModelData } from './google-model-data.ts';
import { type GoogleImageOptions, googleImageOptionsSchema } from './imagen-options.ts';

/** The aspect ratio and (optional) size tier one call asks for. */
export interface ResolvedShape {
  aspectRatio: string;
  /** A tier name (`2K`) when the requested size is one of the model's larger tiers, or its `baseTier`. */
  tier?: string;
}

/**
 * Works out ratio and tier from the validated call. Core guarantees the size is one the model
 * declared; the larger tiers' sizes do not all reduce to their ratio (1792x2560 is 7:10, not 3:4),
 * so the ratio is read from the model's own tables rather than computed.
 */
export function resolveShape(call: ProviderCall, data: GoogleModelData): ResolvedShape {
  const size = call.size;
  if (size && size !== 'auto') {
    for (const [tier, table] of Object.entries(data.sizeTiers)) {
      for (const [ratio, tierSize] of Object.entries(table)) {
        if (tierSize === size) return { aspectRatio: ratio, tier };
      }
    }
    for (const [ratio, baseSize] of Object.entries(call.model.capabilities.aspectRatios)) {
      if (baseSize === size) return { aspectRatio: ratio, ...(data.baseTier ? { tier: data.baseTier } : {}) };
    }
  }
  const aspectRatio = call.aspectRatio ?? call.model.defaults.aspectRatio;
  if (!aspectRatio || !(aspectRatio in call.model.capabilities.aspectRatios)) {
    throw validationError(
      'aspect_ratio',
      `${call.model.id} needs an aspect ratio; accepted: ${Object.keys(call.model.capabilities.aspectRatios).join(', ')}.`,
    );
  }
  return { aspectRatio, ...(data.baseTier ? { tier: data.baseTier } : {}) };
}

/** Parses the `google` options again (core already did) to get them typed, naming the bad field. */
export function readOptions(call: ProviderCall, providerId: string): GoogleImageOptions {
  const parsed = googleImageOptionsSchema.safeParse(call.providerOptions ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
    throw validationError(
      `provider_options.${providerId}${path}`,
      `Invalid Google option: ${issue?.message ?? 'invalid'}.`,
    );
  }
  return parsed.data;
}

/** Refuses a value the chosen route or family cannot honour, naming the field. */
export function refuse(param: string, message: string): never {
  throw validationError(param, message);
}

/**
 * The output encoding to ask for: the request's `output_format`/`output_compression` and the
 * option `outputOptions` must agree when both are given. `output_compression` follows OpenAI,
 * whose default of 100 is the least compression, i.e. the best quality; Google's
 * `compressionQuality` also counts quality (higher = better), so the value is sent unchanged and
 * 100 stays the best quality on both (issue 20.8; it used to be sent as `100 - output_compression`,
 * turning a request for the best quality into the worst).
 */
export function resolveOutput(
  call: ProviderCall,
  options: GoogleImageOptions,
  providerId: string,
): { mimeType?: 'image/png' | 'image/jpeg'; compressionQuality?: number } {
  let mimeType: 'image/png' | 'image/jpeg' | undefined;
  if (call.outputFormat !== undefined) {
    if (call.outputFormat !== 'png' && call.outputFormat !== 'jpeg') {
      refuse('output_format', `Google image models produce png or jpeg, not ${call.outputFormat}.`);
    }
    mimeType = call.outputFormat === 'png' ? 'image/png' : 'image/jpeg';
  }
  const optionMime = options.outputOptions?.mimeType;
  if (optionMime !== undefined) {
    if (mimeType !== undefined && optionMime !== mimeType) {
      refuse(
        `provider_options.${providerId}.outputOptions.mimeType`,
        `outputOptions.mimeType ${optionMime} contradicts output_format ${call.outputFormat}; set one of them.`,
      );
    }
    mimeType = optionMime;
  }
  let compressionQuality = call.outputCompression;
  const optionQuality = options.outputOptions?.compressionQuality;
  if (optionQuality !== undefined) {
    if (compressionQuality !== undefined && optionQuality !== compressionQuality) {
      refuse(
        `provider_options.${providerId}.outputOptions.compressionQuality`,
        `outputOptions.compressionQuality ${optionQuality} contradicts output_compression ${call.outputCompression} (both count quality, 100 being the best); set one of them.`,
      );
    }
    compressionQuality = optionQuality;
  }
  if (compressionQuality !== undefined && mimeType !== 'image/jpeg') {
    refuse(
      call.outputCompression === undefined
        ? `provider_options.${providerId}.outputOptions.compressionQuality`
        : 'output_compression',
      'Compression applies to jpeg output only; set output_format to jpeg.',
    );
  }
  return {
    ...(mimeType ? { mimeType } : {}),
    ...(compressionQuality === undefined ? {} : { compressionQuality }),
  };
}

/**
 * Decodes one base64 image exactly once and checks it really is an image: the media type in the
 * result is the one the bytes carry, and a disagreement with what Google declared is a warning.
 */
export function decodeImage(
  data: string,
  declaredMimeType: string | null | undefined,
  provider: string,
  warnings: GenerationWarning[],
): ProviderImage {
  const bytes = decodeBase64(data, provider);
  const sniffed = sniffImage(bytes);
  if (!sniffed) {
    throw new BackendError(`${provider} returned image data that is not a PNG, JPEG, WebP or GIF.`, {
      reason: 'malformed_response',
      provider,
    });
  }
  if (declaredMimeType && declaredMimeType !== sniffed.mediaType) {
    warnings.push({
      type: 'other',
      message: `Google declared ${declaredMimeType} but the bytes are ${sniffed.mediaType}; the bytes win.`,
    });
  }
  return { bytes, mediaType: sniffed.mediaType, base64: data };
}

/** Warns when the caller asked for an encoding and Google sent another (the Gemini API has no format control). */
export function checkFormat(
  call: ProviderCall,
  images: ProviderImage[],
  warnings: GenerationWarning[],
): void {
  if (!call.outputFormat) return;
  const wanted = call.outputFormat === 'jpeg' ? 'image/jpeg' : `image/${call.outputFormat}`;
  const other = images.find((image) => image.mediaType !== wanted);
  if (other) {
    warnings.push({
      type: 'coerced',
      param: 'output_format',
      message: `${call.model.id} returned ${other.mediaType} instead of ${wanted}.`,
      from: call.outputFormat,
      to: other.mediaType,
    });
  }
}

/** `user` has no Google counterpart; say so rather than drop it silently. */
export function userWarning(call: ProviderCall): GenerationWarning[] {
  return call.user === undefined
    ? []
    : [
        {
          type: 'unsupported',
          param: 'user',
          message:
            'Google image APIs take no end-user id; `user` was not sent (it stays in the audit record).',
        },
      ];
}

/** The model id to send upstream. */
export function upstreamModelId(model: ModelDescriptor, data: GoogleModelData): string {
  return data.upstreamModel ?? model.id;
}

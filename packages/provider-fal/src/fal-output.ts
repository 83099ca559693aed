/**
 * Turns a fal model output into provider images: each image URL is checked against the result
 * host allow list, downloaded without the key (timeout and size cap), sniffed, and the
 * `has_nsfw_concepts` flags are applied by the content-filter policy.
 */
import {
  BackendError,
  checkedUrl,
  downloadResult,
  type FetchFunction,
  type GenerationWarning,
  type ProviderImage,
  type ProviderResult,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { falOutputSchema } from './fal-api.ts';

/** The label on images fal flagged (`has_nsfw_concepts`) under the `flag` policy. */
export const FAL_NSFW_LABEL = 'provider:fal:nsfw';

/**
 * What to do with an image fal flags in `has_nsfw_concepts`: `fail` (default) withholds it
 * (fal blacks such images out when its checker is on) and fails the call with `content_filtered`
 * when every image is flagged; `flag` returns it labelled {@link FAL_NSFW_LABEL} with a warning.
 */
export type FalContentFilterPolicy = 'fail' | 'flag';

/** What reading an output needs. */
export interface FalOutputOptions {
  provider: string;
  fetch: FetchFunction | undefined;
  signal: AbortSignal;
  resultHosts: readonly string[];
  allowHttp: boolean;
  downloadTimeoutMs: number;
  maxImageBytes: number;
  contentFilter: FalContentFilterPolicy;
  /** Images the call asked for. */
  expected: number;
  /** The format asked for, when the model takes one. */
  format: string | undefined;
  requestId: string | undefined;
  modelId: string;
}

function malformed(options: FalOutputOptions, message: string): BackendError {
  return new BackendError(`${options.provider}: ${message}`, {
    reason: 'malformed_response',
    provider: options.provider,
    ...(options.requestId ? { upstreamRequestId: options.requestId } : {}),
  });
}

async function fetchImage(
  url: string,
  seed: number | undefined,
  options: FalOutputOptions,
  warnings: GenerationWarning[],
): Promise<ProviderImage> {
  const checked = checkedUrl(url, {
    provider: options.provider,
    hosts: options.resultHosts,
    allowHttp: options.allowHttp,
    what: 'image URL',
  });
  const { bytes } = await downloadResult(checked, {
    provider: options.provider,
    fetch: options.fetch,
    signal: options.signal,
    timeoutMs: options.downloadTimeoutMs,
    maxBytes: options.maxImageBytes,
  });
  const sniffed = sniffImage(bytes);
  if (!sniffed) throw malformed(options, 'an output image is not a PNG, JPEG or WebP image.');
  if (
    options.format &&
    sniffed.mediaType !== `image/${options.format}` &&
    !warnings.some((w) => w.param === 'output_format')
  ) {
    warnings.push({
      type: 'other',
      param: 'output_format',
      message: `fal returned ${sniffed.mediaType} although image/${options.format} was asked for; the image is labelled with its real type.`,
      from: `image/${options.format}`,
      to: sniffed.mediaType,
    });
  }
  return { bytes, mediaType: sniffed.mediaType, ...(seed === undefined ? {} : { seed }) };
}

/**
 * Reads one output. Images come back in order; when fal reports one seed for the call, image i
 * carries `seed + i` (UNCONFIRMED: how fal seeds the images of one call).
 */
export async function readFalOutput(raw: unknown, options: FalOutputOptions): Promise<ProviderResult> {
  const parsed = falOutputSchema.safeParse(raw);
  if (!parsed.success) throw malformed(options, `the output of '${options.modelId}' has no images array.`);
  const { images, has_nsfw_concepts: flags, seed } = parsed.data;
  if (images.length !== options.expected)
    throw malformed(
      options,
      `fal returned ${images.length} image(s) for a call asking for ${options.expected}.`,
    );
  const flagged = images.map((_, index) => flags?.[index] === true);
  const flaggedCount = flagged.filter(Boolean).length;
  if (flaggedCount === images.length && options.contentFilter === 'fail') {
    throw new BackendError(
      `${options.provider}: fal's safety checker flagged ${flaggedCount === 1 ? 'the image' : `all ${flaggedCount} images`} (has_nsfw_concepts); withheld. Change the prompt; retrying will not help.`,
      {
        reason: 'content_filtered',
        provider: options.provider,
        param: 'prompt',
        upstreamCode: 'has_nsfw_concepts',
        ...(options.requestId ? { upstreamRequestId: options.requestId } : {}),
      },
    );
  }
  const warnings: GenerationWarning[] = [];
  const result: ProviderImage[] = [];
  for (const [index, image] of images.entries()) {
    if (flagged[index] && options.contentFilter === 'fail') continue;
    const picture = await fetchImage(image.url, seed == null ? undefined : seed + index, options, warnings);
    result.push(flagged[index] ? { ...picture, labels: [FAL_NSFW_LABEL] } : picture);
  }
  if (flaggedCount > 0) {
    warnings.push({
      type: 'content_filtered',
      message:
        options.contentFilter === 'flag'
          ? `fal's safety checker flagged ${flaggedCount} image(s); they are returned labelled ${FAL_NSFW_LABEL}.`
          : `fal's safety checker flagged ${flaggedCount} of ${images.length} images; they were withheld.`,
    });
  }
  return {
    images: result,
    ...(flaggedCount > 0 && options.contentFilter === 'fail' ? { filteredCount: flaggedCount } : {}),
    ...(flaggedCount > 0 ? { labels: [FAL_NSFW_LABEL] } : {}),
    ...(warnings.length ? { warnings } : {}),
    response: {
      modelId: options.modelId,
      status: 200,
      ...(options.requestId ? { upstreamRequestId: options.requestId } : {}),
    },
  };
}

/**
 * Turns Stability's answer (one raw image from v2beta, up to ten artifacts from v1) into a
 * provider result: the content-filter policy, partly failed v1 calls, and a check that every image
 * is what it claims to be.
 */
import {
  BackendError,
  type GenerationWarning,
  type ProviderImage,
  type ProviderResult,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { malformedAnswer, type RawImage, type StabilityClient } from './stability-client.ts';

/** The label put on images Stability reported as CONTENT_FILTERED (blurred) under the `flag` policy. */
export const STABILITY_CONTENT_FILTERED_LABEL = 'provider:stability:content_filtered';

/** The label of a call in which Stability reported some images as failed (finish reason ERROR). */
export const STABILITY_GENERATION_ERROR_LABEL = 'provider:stability:generation_error';

/** What the call asked for, to check the answer against. */
export interface ExpectedImages {
  count: number;
  format: string;
  size?: string;
}

/** Counts of one answer's finish reasons. */
interface Tally {
  succeeded: number;
  filtered: number;
  failed: number;
}

function tally(raws: RawImage[], provider: string, response: Response): Tally {
  const counts: Tally = { succeeded: 0, filtered: 0, failed: 0 };
  for (const raw of raws) {
    if (raw.finishReason === 'SUCCESS') counts.succeeded++;
    else if (raw.finishReason === 'CONTENT_FILTERED') counts.filtered++;
    else if (raw.finishReason === 'ERROR') counts.failed++;
    else {
      throw malformedAnswer(
        provider,
        `Stability answered with an unknown finish reason '${raw.finishReason.slice(0, 40)}'.`,
        response,
      );
    }
  }
  return counts;
}

/**
 * The error for an answer that delivers no image: every image filtered (never retried: the same
 * prompt is filtered again), or every image failed with finish reason ERROR (retryable, as any
 * upstream failure that produced nothing).
 */
function nothingDelivered(client: StabilityClient, counts: Tally, response: Response, modelLabel: string) {
  const upstreamRequestId = response.headers.get('x-request-id') ?? undefined;
  const common = {
    provider: client.id,
    upstreamStatus: response.status,
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
  };
  if (counts.filtered > 0) {
    const all = counts.filtered + counts.failed;
    const which =
      all === 1
        ? 'the image'
        : counts.failed === 0
          ? `all ${all} images`
          : `${counts.filtered} of ${all} images`;
    return new BackendError(
      `${client.id}: Stability's moderation filtered ${which} (CONTENT_FILTERED: the image was blurred and is withheld)${counts.failed > 0 ? ` and ${counts.failed} failed (finish reason ERROR)` : ''}. Change the prompt; retrying will not help.`,
      { ...common, reason: 'content_filtered', upstreamCode: 'CONTENT_FILTERED', param: 'prompt' },
    );
  }
  return new BackendError(
    `${client.id}: Stability reported a generation error (finish reason ERROR) for '${modelLabel}'.`,
    { ...common, reason: 'upstream_unavailable', upstreamCode: 'ERROR' },
  );
}

/** Checks one delivered image's bytes, warning when its type or size differs from the request. */
function checkedImage(
  client: StabilityClient,
  raw: RawImage,
  expected: ExpectedImages,
  response: Response,
  warnings: GenerationWarning[],
  modelLabel: string,
): ProviderImage {
  const sniffed = sniffImage(raw.bytes);
  if (!sniffed) {
    throw malformedAnswer(
      client.id,
      'Stability returned bytes that are not a PNG, JPEG or WebP image.',
      response,
    );
  }
  const expectedMediaType = `image/${expected.format}`;
  if (sniffed.mediaType !== expectedMediaType) {
    warnings.push({
      type: 'other',
      param: 'output_format',
      message: `Stability returned ${sniffed.mediaType} although ${expectedMediaType} was asked for; the image is labelled with its real type.`,
      from: expectedMediaType,
      to: sniffed.mediaType,
    });
  }
  const produced = sniffed.width && sniffed.height ? `${sniffed.width}x${sniffed.height}` : undefined;
  if (expected.size && produced && produced !== expected.size && !warnings.some((w) => w.param === 'size')) {
    warnings.push({
      type: 'other',
      param: 'size',
      message: `Stability produced ${produced} where the catalog says ${expected.size} for '${modelLabel}'; correct the model's aspectRatioSizes if this persists.`,
      from: expected.size,
      to: produced,
    });
  }
  return {
    bytes: raw.bytes,
    mediaType: sniffed.mediaType,
    ...(raw.seed === undefined ? {} : { seed: raw.seed }),
    ...(raw.finishReason === 'CONTENT_FILTERED' ? { labels: [STABILITY_CONTENT_FILTERED_LABEL] } : {}),
  };
}

/** The warnings that explain the images a call did not deliver normally. */
function shortfallWarnings(client: StabilityClient, counts: Tally, total: number): GenerationWarning[] {
  const warnings: GenerationWarning[] = [];
  if (counts.filtered > 0) {
    warnings.push({
      type: 'content_filtered',
      message:
        client.contentFilter === 'flag'
          ? `Stability's moderation blurred ${counts.filtered} image(s) (CONTENT_FILTERED); they are returned labelled ${STABILITY_CONTENT_FILTERED_LABEL}.`
          : `Stability's moderation blurred ${counts.filtered} of ${total} images (CONTENT_FILTERED); they were withheld.`,
    });
  }
  if (counts.failed > 0) {
    const delivered = total - counts.failed - (client.contentFilter === 'fail' ? counts.filtered : 0);
    warnings.push({
      type: 'partial',
      param: 'n',
      message: `Stability reported a generation error (finish reason ERROR) for ${counts.failed} of ${total} images; returning the ${delivered} it produced. The call was billed and partly succeeded, so it is not retried.`,
      from: total,
      to: delivered,
    });
  }
  return warnings;
}

/**
 * Applies the safety policy and checks every image is what it claims to be. A v1 answer mixing
 * SUCCESS, CONTENT_FILTERED and ERROR artifacts keeps its good images: the filtered ones are
 * withheld (`filteredCount`) or flagged, the failed ones are reported (`failedCount`, a `partial`
 * warning, {@link STABILITY_GENERATION_ERROR_LABEL}), and the call is never retried, since it was
 * billed and partly succeeded; dispatch applies the request's partial-result policy to it.
 */
export function finishStabilityCall(
  client: StabilityClient,
  raws: RawImage[],
  expected: ExpectedImages,
  response: Response,
  warnings: GenerationWarning[],
  modelLabel: string,
): ProviderResult {
  const counts = tally(raws, client.id, response);
  if (raws.length !== expected.count) {
    throw malformedAnswer(
      client.id,
      `Stability returned ${raws.length} image(s) for a call asking for ${expected.count}.`,
      response,
    );
  }
  const withheld = client.contentFilter === 'fail' ? counts.filtered : 0;
  if (counts.succeeded + counts.filtered - withheld === 0) {
    throw nothingDelivered(client, counts, response, modelLabel);
  }
  const images = raws
    .filter(
      (raw) => raw.finishReason === 'SUCCESS' || (raw.finishReason === 'CONTENT_FILTERED' && withheld === 0),
    )
    .map((raw) => checkedImage(client, raw, expected, response, warnings, modelLabel));
  warnings.push(...shortfallWarnings(client, counts, raws.length));
  const labels = [
    ...(counts.filtered > 0 ? [STABILITY_CONTENT_FILTERED_LABEL] : []),
    ...(counts.failed > 0 ? [STABILITY_GENERATION_ERROR_LABEL] : []),
  ];
  const upstreamRequestId = response.headers.get('x-request-id') ?? undefined;
  return {
    images,
    ...(withheld > 0 ? { filteredCount: withheld } : {}),
    ...(counts.failed > 0 ? { failedCount: counts.failed } : {}),
    ...(labels.length > 0 ? { labels } : {}),
    ...(warnings.length ? { warnings } : {}),
    response: {
      status: response.status,
      modelId: modelLabel,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
    },
  };
}

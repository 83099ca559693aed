import { hash, randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.ts';
import type { ProviderImage } from '../../provider/image-provider.ts';
import { extensionFor, sniffImage } from '../../shared/media-type.ts';
import type { StoredObjectInfo } from '../../storage/storage-adapter.ts';
import type { GeneratedImage } from '../generation-result.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import { eventBase, need, type RequestContext } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** The facts of one image: hashed once here (the store reuses the hash as its ETag). */
function describeImage(
  image: ProviderImage,
  provenance: { manifestHash?: string; signerFingerprint?: string } | undefined,
): GeneratedImage {
  const sniffed = sniffImage(image.bytes);
  return {
    bytes: image.bytes,
    mediaType: image.mediaType,
    // One-shot `hash` (Node >= 20.19, the engines floor): no Hash object per image.
    sha256: hash('sha256', image.bytes, 'hex'),
    sizeBytes: image.bytes.byteLength,
    ...(sniffed?.width ? { width: sniffed.width, height: sniffed.height! } : {}),
    ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
    ...(image.seed === undefined ? {} : { seed: image.seed }),
    ...provenance,
    labels: image.labels ?? [],
  };
}

/** A store refusing what the gateway sent is the gateway's problem, never the client's: always a 5xx. */
function storageFailure(deps: PipelineDeps, error: unknown): GatewayError {
  const normalized = toGatewayError(error);
  if (normalized.code === 'ABORTED' || normalized.code === 'TIMEOUT') return normalized;
  if (normalized.code === 'STORAGE_ERROR' && normalized.status >= 500) return normalized;
  return new GatewayError('STORAGE_ERROR', `Could not store the image in '${deps.storage.id}' storage.`, {
    status: 503,
    retryable: normalized.retryable,
    ...(normalized.details ? { details: normalized.details } : {}),
    cause: error,
  });
}

/** Puts one image under a random key (never built from user input) and emits `storage-put`. */
async function put(
  ctx: RequestContext,
  deps: PipelineDeps,
  image: GeneratedImage,
  expiresAt: Date,
  day: string,
): Promise<StoredObjectInfo> {
  const key = `images/${day}/${randomUUID()}.${extensionFor(image.mediaType)}`;
  const started = deps.clock.now();
  let info: StoredObjectInfo;
  try {
    info = await deps.storage.put(key, image.bytes, {
      mediaType: image.mediaType,
      metadata: { tenant: ctx.tenant.tenantId, 'request-id': ctx.requestId, sha256: image.sha256 },
      expiresAt,
      signal: ctx.signal,
      sha256: image.sha256,
    });
  } catch (error) {
    throw storageFailure(deps, error);
  }
  image.storageKey = key;
  deps.events.emit('storage-put', {
    ...eventBase(ctx),
    key,
    sizeBytes: image.bytes.byteLength,
    mediaType: image.mediaType,
    durationMs: deps.clock.now() - started,
  });
  return info;
}

/**
 * store: each image described once (hash, size, dimensions) and, under `storage.mode: 'always'` or
 * when a URL is asked for, put once into the storage adapter with tenant, request id, sha256 and
 * expiry as metadata.
 */
export const storeStage: Stage = {
  name: 'store',
  timing: 'store',
  async run(ctx, deps) {
    const { result } = need(ctx.dispatched, 'dispatched');
    const request = need(ctx.request, 'request');
    const images = result.images.map((image, index) => describeImage(image, ctx.provenance?.[index]));
    const store = deps.config.storage.mode === 'always' || request.response_format === 'url';
    if (store) {
      const now = deps.clock.now();
      const expiresAt = new Date(now + deps.config.storage.retentionSeconds * 1000);
      const day = new Date(now).toISOString().slice(0, 10);
      ctx.stored = await Promise.all(images.map((image) => put(ctx, deps, image, expiresAt, day)));
    } else ctx.stored = images.map(() => undefined);
    // Only images that made it through are facts of the request (a failed put leaves none).
    ctx.facts.images = images;
  },
};

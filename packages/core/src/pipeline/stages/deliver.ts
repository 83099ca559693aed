import type { StoredObjectInfo } from '../../storage/storage-adapter.ts';
import type { GeneratedImage, ImageData } from '../generation-result.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import { need, type RequestContext } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** Base64 of the bytes, reusing the provider's own text when it is the canonical encoding. */
export function toBase64(bytes: Uint8Array, upstream?: string): string {
  if (upstream !== undefined && upstream.length === 4 * Math.ceil(bytes.byteLength / 3)) return upstream;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A signed media URL (or the store's presigned one) for a stored image. */
async function deliverUrl(
  ctx: RequestContext,
  deps: PipelineDeps,
  image: GeneratedImage,
  info: StoredObjectInfo | undefined,
): Promise<ImageData> {
  const delivered = await deps.delivery.deliver({
    info: need(info, 'stored'),
    tenantId: ctx.tenant.tenantId,
    ...(ctx.publicBaseUrl ? { baseUrl: ctx.publicBaseUrl } : {}),
  });
  image.url = delivered.url;
  image.urlExpiresAt = delivered.expiresAt.getTime();
  return { url: delivered.url, ...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}) };
}

/**
 * deliver: `data[]` in OpenAI's shape, as `b64_json` (the provider's own base64 when canonical,
 * else encoded once from the same buffer) or as a URL with an expiry.
 */
export const deliverStage: Stage = {
  name: 'deliver',
  timing: 'deliver',
  run(ctx, deps) {
    const format = need(ctx.request, 'request').response_format ?? 'b64_json';
    const images = ctx.facts.images;
    if (format === 'b64_json') {
      const upstream = need(ctx.dispatched, 'dispatched').result.images;
      ctx.data = images.map((image, index) => ({
        b64_json: toBase64(image.bytes, upstream[index]?.base64),
        ...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}),
      }));
      return;
    }
    const stored = need(ctx.stored, 'stored');
    return Promise.all(images.map((image, index) => deliverUrl(ctx, deps, image, stored[index]))).then(
      (data) => {
        ctx.data = data;
      },
    );
  },
};

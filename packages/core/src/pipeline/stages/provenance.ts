import { qualifiedModelId } from '../../models/model-descriptor.ts';
import type { GenerationWarning } from '../../provider/warning.ts';
import { need } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** What the provenance stage tells the stamper about one image. */
export interface ImageProvenanceFacts {
  requestId: string;
  tenantId: string;
  /** Provider id, e.g. `openai`. */
  provider: string;
  /** Resolved model, `provider/id`. */
  model: string;
  /** The media type the provider declared. */
  mediaType: string;
  /** The prompt as sent (after redaction); the stamper writes it only if its operator allows. */
  prompt: string;
}

/** What the stamper returns for one image. */
export interface ImageProvenanceStamp {
  /** The bytes to store and deliver (the same array when nothing was applied). */
  bytes: Uint8Array;
  mediaType: string;
  /** `sha256:<hex>` of the embedded C2PA manifest store, when one was signed. */
  manifestHash?: string;
  /** `sha256:<hex>` of the signer certificate, when one was signed. */
  signerFingerprint?: string;
  warnings: GenerationWarning[];
  /** Audit labels (`provenance:unsigned`, ...). */
  labels: string[];
}

/**
 * Content provenance (XMP marking, a signed C2PA manifest), as the gateway's `provenance` option:
 * implemented by `@pixelgate/provenance`'s `createProvenanceStamper`, so core carries no image or
 * signing library. `stamp` throws a GatewayError to withhold an image it must not deliver unmarked.
 */
export interface ImageProvenance {
  stamp(image: Uint8Array, facts: ImageProvenanceFacts): Promise<ImageProvenanceStamp>;
  close?(): Promise<void>;
}

/**
 * provenance: the last change to the bytes, after the output guardrails and before the store
 * hashes, stores and delivers them, so the image handed out is the one the manifest signs. The
 * provider's base64 is dropped for changed images (it no longer matches), and the manifest hash and
 * signer fingerprint go to the store stage's image facts and from there to the audit record.
 */
export function provenanceStage(provenance: ImageProvenance): Stage {
  return {
    name: 'provenance',
    timing: 'provenance',
    async run(ctx) {
      const { result, used } = need(ctx.dispatched, 'dispatched');
      const model = used.resolved.model;
      const prompt = need(ctx.texts, 'texts').prompt;
      const stamps = await Promise.all(
        result.images.map((image) =>
          provenance.stamp(image.bytes, {
            requestId: ctx.requestId,
            tenantId: ctx.tenant.tenantId,
            provider: model.provider,
            model: qualifiedModelId(model),
            mediaType: image.mediaType,
            prompt,
          }),
        ),
      );
      result.images = result.images.map((image, index) => {
        const stamp = stamps[index]!;
        if (stamp.bytes === image.bytes) return image;
        const { base64: _stale, ...rest } = image;
        return { ...rest, bytes: stamp.bytes, mediaType: stamp.mediaType };
      });
      ctx.provenance = stamps.map((stamp) => ({
        ...(stamp.manifestHash ? { manifestHash: stamp.manifestHash } : {}),
        ...(stamp.signerFingerprint ? { signerFingerprint: stamp.signerFingerprint } : {}),
      }));
      for (const stamp of stamps) {
        ctx.facts.warnings.push(...stamp.warnings);
        for (const label of stamp.labels) ctx.facts.labels.add(label);
      }
    },
  };
}

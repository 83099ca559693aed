import type { GenerationWarning } from '@pixelgate/core/provider-utils';
import type { ProvenanceMode } from './config.ts';

/** What the caller knows about one image when it is stamped. */
export interface ProvenanceFacts {
  requestId: string;
  tenantId: string;
  /** Provider id, e.g. `openai`. */
  provider: string;
  /** Resolved model, `provider/id`. */
  model: string;
  /** The media type the provider claimed; the bytes are sniffed and win. */
  mediaType?: string;
  /** When the image was made (default: now). */
  created?: Date;
  /** The audit record's sequence number, when known before delivery. */
  auditSeq?: number;
  /** The prompt; written into the manifest only when `include.prompt` is on. */
  prompt?: string;
}

/** The stamped image and what the audit record keeps about it. */
export interface StampResult {
  bytes: Uint8Array;
  mediaType: string;
  /** What was applied: `off` also when a failure was tolerated under `deliver-unsigned`. */
  applied: ProvenanceMode;
  /** `sha256:<hex>` of the embedded C2PA manifest store. */
  manifestHash?: string;
  /** `sha256:<hex>` of the signer certificate. */
  signerFingerprint?: string;
  /** Label of the provider's manifest, kept as the parent ingredient. */
  parentManifest?: string;
  warnings: GenerationWarning[];
  /** Audit labels, e.g. `provenance:unsigned`, `provenance:parent_dropped`. */
  labels: string[];
}

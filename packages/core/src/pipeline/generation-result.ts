import type { RecordedVerdict } from '../guardrails/guardrail.ts';
import type { ImageUsage } from '../models/pricing.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { RateLimitDecision } from '../rate-limit/rate-limit-store.ts';

/** One delivered image in OpenAI's response shape (what `data[]` holds). */
export interface ImageData {
  b64_json?: string;
  url?: string;
  revised_prompt?: string;
}

/** One delivered image with the facts pixelgate knows about it. */
export interface GeneratedImage {
  /** The bytes, as the provider produced them (the same buffer, not a copy). */
  bytes: Uint8Array;
  mediaType: string;
  sha256: string;
  sizeBytes: number;
  width?: number;
  height?: number;
  revisedPrompt?: string;
  seed?: number;
  /** `sha256:<hex>` of the C2PA manifest store signed into the image (provenance on). */
  manifestHash?: string;
  /** `sha256:<hex>` of the certificate that signed the manifest. */
  signerFingerprint?: string;
  /** Key in the storage adapter, when stored. */
  storageKey?: string;
  /** Signed URL, when `response_format` is `url`. */
  url?: string;
  /** When the URL stops working (epoch ms). */
  urlExpiresAt?: number;
  labels: string[];
}

/**
 * What `gateway.generate` returns. `created` and `data` are OpenAI's `ImagesResponse`, so it can be
 * sent to OpenAI clients as is (see `toOpenAIImagesResponse`); the rest is pixelgate's.
 */
export interface GenerationResult {
  created: number;
  data: ImageData[];
  requestId: string;
  /** The model that produced the images (`provider/id`), after any fallback. */
  model: string;
  provider: string;
  images: GeneratedImage[];
  warnings: GenerationWarning[];
  labels: string[];
  verdicts: RecordedVerdict[];
  usage?: ImageUsage;
  cost: { estimatedUsd?: number; actualUsd?: number; basis: string };
  /** Rate-limit state after this request, for `x-ratelimit-*` headers. */
  rateLimit: RateLimitDecision[];
  /** Milliseconds spent per stage. */
  timings: Record<string, number>;
}

/**
 * The OpenAI `ImagesResponse` body for a result: `created`, `data`, and `usage` in OpenAI's names
 * when token usage is known.
 */
export function toOpenAIImagesResponse(result: GenerationResult): Record<string, unknown> {
  const body: Record<string, unknown> = { created: result.created, data: result.data };
  if (result.usage) {
    body.usage = {
      input_tokens: (result.usage.inputTextTokens ?? 0) + (result.usage.inputImageTokens ?? 0),
      output_tokens: (result.usage.outputImageTokens ?? 0) + (result.usage.outputTextTokens ?? 0),
      total_tokens: result.usage.totalTokens ?? 0,
      input_tokens_details: {
        text_tokens: result.usage.inputTextTokens ?? 0,
        image_tokens: result.usage.inputImageTokens ?? 0,
      },
    };
  }
  return body;
}

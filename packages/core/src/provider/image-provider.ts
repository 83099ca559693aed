import type { z } from 'zod';
import type { MaskConvention, ModelDescriptor, ModelDescriptorInput } from '../models/model-descriptor.ts';
import type { ImageUsage } from '../models/pricing.ts';
import type { OutputFormat } from '../request/image-request.ts';
import type { Logger } from './logger.ts';
import type { GenerationWarning } from './warning.ts';

/** What a provider call does: draw from a prompt, change input images, or vary one image. */
export type ProviderOperation = 'generate' | 'edit' | 'variation';

/**
 * An input image (edit or variation) after the pipeline checked it against the model's
 * `capabilities.edit.input` / `capabilities.variation.input`: the bytes are a real image of an
 * accepted type and size. Plugins send the bytes as they are.
 */
export interface ProviderInputImage {
  bytes: Uint8Array;
  mediaType: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
  /** Hex SHA-256 of the bytes (what the audit record keeps). */
  sha256: string;
  /** A file name to send in multipart bodies (`image-0.png`). */
  filename: string;
}

/** A mask, already converted by the pipeline to the convention the model declares. */
export interface ProviderMask extends ProviderInputImage {
  convention: MaskConvention;
}

/**
 * One upstream call, after validation: every value here is one the model declared it supports,
 * and defaults are filled in. A plugin maps it to its wire format and nothing else.
 */
export interface ProviderCall {
  /** `generate` for `generate()`, `edit` for `edit()`, `variation` for `createVariation()`. */
  operation: ProviderOperation;
  /** The resolved model. */
  model: ModelDescriptor;
  /** The prompt to send (after any guardrail redaction); empty for variations. */
  prompt: string;
  /** Images for this call; never above `model.capabilities.maxImagesPerCall`. */
  n: number;
  /** `WIDTHxHEIGHT`, `auto`, or undefined when the model has no size setting. */
  size?: string;
  /** `W:H` for ratio-based models (always set when the model declares aspect ratios). */
  aspectRatio?: string;
  quality?: string;
  style?: string;
  outputFormat?: OutputFormat;
  outputCompression?: number;
  background?: 'transparent' | 'opaque' | 'auto';
  moderation?: 'auto' | 'low';
  negativePrompt?: string;
  /** Seed for the first image of this call; split calls get consecutive seeds. */
  seed?: number;
  /** End-user id for the provider's abuse monitoring. */
  user?: string;
  /** Caller metadata. */
  metadata?: Record<string, string>;
  /** This provider's namespace of `provider_options`, already checked by `providerOptionsSchema`. */
  providerOptions: Record<string, unknown>;
  /** Edits and variations: the input images, in the caller's order (at least one). */
  images?: ProviderInputImage[];
  /** Edits: the mask for the first image, in the model's convention and of its size. */
  mask?: ProviderMask;
  /** Edits: how closely to follow the input images (`capabilities.edit.inputFidelity`). */
  inputFidelity?: 'low' | 'high';
  /**
   * Streaming: partial images wanted (1-3, at most `capabilities.stream.maxPartialImages`). Set
   * only when the caller streams and the model streams natively; the plugin reports each one
   * through `context.onPartialImage` and still returns the final result.
   */
  partialImages?: number;
}

/** A partial image of a streamed call (never stored, never audited with its bytes). */
export interface ProviderPartialImage {
  /** Zero-based index of the partial image within its final image. */
  partialImageIndex: number;
  /** Index of the final image it belongs to, within this call. */
  imageIndex: number;
  bytes: Uint8Array;
  /** The upstream base64 text, when the plugin had it (reused for the SSE event). */
  base64?: string;
  mediaType: string;
}

/** What a plugin gets besides the call: cancellation, ids and per-tenant credentials. */
export interface ProviderCallContext {
  /** Aborted on the caller's abort or the request deadline; pass it to every fetch. */
  signal: AbortSignal;
  /** The gateway request id (send it upstream as a correlation header if the API allows). */
  requestId: string;
  /** Zero-based index of this call among the request's split calls. */
  callIndex: number;
  /** Zero-based retry attempt. */
  attempt: number;
  /** Bring-your-own-key credentials of the tenant for this provider, if any. Never log them. */
  credentials?: Readonly<Record<string, string>>;
  logger: Logger;
  /** Streaming calls only (`call.partialImages` set): receives each partial image as it arrives. */
  onPartialImage?(partial: ProviderPartialImage): void;
  /**
   * Set when the call runs as a durable job: a submit-and-poll plugin reports its upstream job as
   * soon as the provider accepted it, so a worker taking the job over after a crash can `resume`
   * it instead of submitting (and paying) again.
   */
  onUpstreamJob?(upstream: UpstreamJob): void;
}

/**
 * A submit-and-poll provider's own job, as its plugin reports it once submitted and reads it back
 * in `resume`. Kept in the queue (Redis), so it holds no secret: ids and URLs only.
 */
export interface UpstreamJob {
  /** The provider's job or task id. */
  id: string;
  /** What else the plugin needs to poll it (a polling URL, a reported cost), as plain strings. */
  data?: Record<string, string>;
}

/** One image as a provider produced it. */
export interface ProviderImage {
  /** The decoded bytes (base64 is decoded exactly once, by the plugin). */
  bytes: Uint8Array;
  /**
   * The upstream base64 text the bytes were decoded from, when the plugin had it: `b64_json`
   * delivery then reuses it instead of encoding the bytes again. Ignored unless it is exactly the
   * canonical length for `bytes` (no line breaks).
   */
  base64?: string;
  /** The media type, checked against the bytes by the plugin. */
  mediaType: string;
  /** The prompt the model actually used, when it rewrote it. */
  revisedPrompt?: string;
  /** The seed that produced this image, when reported. */
  seed?: number;
  /** Safety labels the provider attached to this image (it passed, but was flagged). */
  labels?: string[];
}

/** What a provider call returns. */
export interface ProviderResult {
  images: ProviderImage[];
  /** Images the provider withheld for safety (partial filtering); the pipeline reports the gap. */
  filteredCount?: number;
  /**
   * Images the call asked for that the provider reported as failed while producing the others
   * (a billed, partly successful call: Stability v1's ERROR artifacts). Such a call is never
   * retried; dispatch applies the request's partial-result policy to it as to a failed split
   * call: under `fail` the request fails, under `return_partial` the images that succeeded are
   * returned with the plugin's `partial` warning.
   */
  failedCount?: number;
  /** Classification labels from the provider's safety system (`provider:imagen:rai:...`). */
  labels?: string[];
  usage?: ImageUsage;
  /** A cost the provider reported itself (credits converted to USD), preferred over estimates. */
  costUsd?: number;
  warnings?: GenerationWarning[];
  /** Upstream facts for support and audit: never bytes, never secrets. */
  response?: { upstreamRequestId?: string; modelId?: string; status?: number };
}

/**
 * An image provider plugin: a plain object (or class instance) with an id, its model catalog as
 * data and one `generate` method. Plugins know nothing of containers or decorators; their only
 * test seam is a `fetch` option on their factory.
 */
export interface ImageProvider {
  /** The contract version this plugin implements. */
  readonly specificationVersion: 'v1';
  /** Provider id, used in qualified model ids (`openai/dall-e-3`). */
  readonly id: string;
  /** The models this provider serves. */
  readonly models: ReadonlyArray<ModelDescriptorInput>;
  /**
   * Schema for this provider's namespace of `provider_options`; values failing it are a
   * VALIDATION_ERROR naming `provider_options.<id>.<field>`. Absent means the namespace is refused.
   */
  readonly providerOptionsSchema?: z.ZodType<Record<string, unknown>>;
  /**
   * Performs one upstream call. Throws a GatewayError (usually a BackendError) on failure, never a
   * raw fetch error; must honour `context.signal`.
   */
  generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult>;
  /**
   * Edits `call.images` (with `call.mask` when given) following the prompt. Required when any of
   * the plugin's models declares `capabilities.edit`; same error and abort rules as `generate`.
   */
  edit?(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult>;
  /** Makes variations of `call.images[0]`. Required when a model declares `capabilities.variation`. */
  createVariation?(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult>;
  /** Checks configuration and reachability at startup (optional). */
  verify?(): Promise<void>;
  /** Releases sockets, timers and caches. */
  dispose?(): Promise<void>;
  /**
   * Finishes a call whose upstream job was submitted earlier (reported through
   * `context.onUpstreamJob`, possibly by a process that has since died): polls it and returns the
   * result as `generate` would, without submitting again. Submit-and-poll plugins only.
   */
  resume?(upstream: UpstreamJob, call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult>;
}

import type { TenantContext } from '../access/tenant.ts';
import type { BudgetReservation } from '../budget/budget-store.ts';
import type { InputImageFact } from '../capabilities/validate-operation.ts';
import type { RecordedVerdict } from '../guardrails/guardrail.ts';
import type { MaskConvention, ModelDescriptor } from '../models/model-descriptor.ts';
import type { ProviderCall, ProviderOperation } from '../provider/image-provider.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { RateLimitDecision } from '../rate-limit/rate-limit-store.ts';
import type { ResolvedModel } from '../registry/model-registry.ts';
import type { ImageRequest } from '../request/image-request.ts';
import type { DecodedInputImage } from '../request/input-image-source.ts';
import type { StoredObjectInfo } from '../storage/storage-adapter.ts';
import type { DispatchResult } from './dispatch.ts';
import type { GeneratedImage, ImageData } from './generation-result.ts';
import type { PartialImageEvent } from './image-stream.ts';

export type { InputImageFact };

/**
 * What a request asks for. All operations reuse the same stages (a stage that differs per
 * operation reads this); streaming is a way of delivering, not an operation.
 */
export type Operation = ProviderOperation;

/** What a request middleware may read about the request it wraps. */
export interface RequestInfo {
  readonly operation: Operation;
  readonly requestId: string;
  readonly tenant: TenantContext;
  /** `library`, `http:openai`, `http:native`, ... */
  readonly source: string;
  /** The request body as received (not validated yet: it is parsed inside `next`). */
  readonly input: unknown;
  /** Fires on the caller's abort and at the request deadline. */
  readonly signal: AbortSignal;
}

/** The request as the stages read it: a generation, or an edit / variation without its image bytes. */
export type PipelineRequest = ImageRequest & {
  /** Edits: how closely to follow the input images. */
  input_fidelity?: 'low' | 'high';
  /** Edits: how the caller drew the mask (default `alpha`). */
  mask_convention?: MaskConvention;
};

/** Edits and variations: the input images as decoded by parse (checked per model by resolve). */
export interface RequestInputs {
  images: DecodedInputImage[];
  mask?: DecodedInputImage;
}

/** What a streamed request did, for the audit record. */
export interface StreamFacts {
  /** Whether the model streamed natively (false: the stream got the final result only). */
  native: boolean;
  /** Partial images asked for (after any coercion). */
  partialImagesRequested: number;
  /** Partial images passed on to the caller. */
  partialImagesSent: number;
}

/** A model resolved, access-checked and capability-checked for one request, ready to dispatch. */
export interface PreparedModel {
  resolved: ResolvedModel;
  call: ProviderCall;
  /** Edits: the caller's mask still has to be converted to this model's convention (`prepare-inputs`). */
  maskConversion?: { from: MaskConvention; to: MaskConvention };
  /** Edits and variations: the input images and mask as checked for this model. */
  inputImages?: InputImageFact[];
  /** Streamed requests: what this model does with the stream. */
  stream?: { native: boolean; partialImagesRequested: number };
}

/** One model tried, in order, for the audit record. */
export interface Attempt {
  model: string;
  outcome: string;
  errorCode?: string;
}

/**
 * Facts gathered along the way, for the result, the events and the one audit record. Stages only
 * add to them; the runner reads them once at the end.
 */
export interface RequestFacts {
  /** The model as asked for (or the default model). */
  requestedModel?: string;
  /** The model in use: the primary one, then the one that answered after a fallback. */
  model?: ModelDescriptor;
  warnings: GenerationWarning[];
  verdicts: RecordedVerdict[];
  labels: Set<string>;
  attempts: Attempt[];
  upstreamRequestIds: string[];
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  rateLimit: RateLimitDecision[];
  cost: { estimatedUsd?: number; actualUsd?: number; basis: string };
  usage?: Record<string, number>;
  /** The images produced (after the store stage). */
  images: GeneratedImage[];
  /** Edits and variations: the input images and mask as checked for the model used. */
  inputImages?: InputImageFact[];
  /** Streamed requests only. */
  stream?: StreamFacts;
}

/** The prompts as the input guardrails left them (redactions applied). */
export interface PromptTexts {
  prompt: string;
  negativePrompt: string | undefined;
}

/**
 * One request on its way through the stages. The identity part is fixed when the request starts;
 * each later field is the output of one stage (named in its comment) and is read only by the
 * stages after it, through {@link need}. `facts` collects what the audit record reports.
 */
export interface RequestContext extends RequestInfo {
  readonly startedAt: number;
  /** Absolute base URL for media links of this request, when the HTTP layer knows the origin. */
  readonly publicBaseUrl?: string;
  /** Streaming: where partial images go (see `GenerateOptions.onPartialImage`). */
  readonly onPartialImage?: (event: PartialImageEvent) => void;
  readonly facts: RequestFacts;
  /** parse: the validated request and the model name to resolve. */
  request?: PipelineRequest;
  /** parse (edits and variations): the input images, decoded. */
  inputs?: RequestInputs;
  /** resolve: the first model, checked. */
  primary?: PreparedModel;
  /** input guardrails: the texts to send. */
  texts?: PromptTexts;
  /** budget reserve (and dispatch, when it falls back): the reservation held. */
  reservation?: BudgetReservation;
  /** dispatch: what the provider returned, and the model that returned it. */
  dispatched?: { result: DispatchResult; used: PreparedModel };
  /** provenance: per image, the signed manifest's hash and the signer's fingerprint (when on). */
  provenance?: Array<{ manifestHash?: string; signerFingerprint?: string }>;
  /** store: per image, what the store reported (undefined when not stored). */
  stored?: Array<StoredObjectInfo | undefined>;
  /** deliver: `data[]` of the response. */
  data?: ImageData[];
}

/** Everything but the stage outputs: what starting a request needs. */
export type RequestStart = Pick<
  RequestContext,
  | 'operation'
  | 'requestId'
  | 'tenant'
  | 'source'
  | 'input'
  | 'signal'
  | 'startedAt'
  | 'publicBaseUrl'
  | 'onPartialImage'
>;

/** A fresh context with empty facts. */
export function createRequestContext(start: RequestStart): RequestContext {
  return {
    ...start,
    facts: {
      warnings: [],
      verdicts: [],
      labels: new Set(),
      attempts: [],
      upstreamRequestIds: [],
      timings: {},
      rateLimit: [],
      cost: { basis: 'none' },
      images: [],
    },
  };
}

/**
 * The output of an earlier stage, or an INTERNAL_ERROR-worthy bug report when a stage list was
 * assembled in the wrong order (a stage reading what no earlier stage wrote).
 */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(`pixelgate pipeline: '${what}' is read before the stage that sets it.`);
  return value;
}

/** The event fields every pipeline event carries. */
export function eventBase(ctx: RequestContext): { requestId: string; tenantId: string } {
  return { requestId: ctx.requestId, tenantId: ctx.tenant.tenantId };
}

/** Adds a warning unless one with the same message is already there. */
export function addWarningOnce(ctx: RequestContext, warning: GenerationWarning): boolean {
  if (ctx.facts.warnings.some((w) => w.message === warning.message)) return false;
  ctx.facts.warnings.push(warning);
  return true;
}

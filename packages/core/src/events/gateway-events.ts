import { EventEmitter } from 'eventemitter3';
import type { AuditRecord } from '../audit/audit-record.ts';
import type { RecordedVerdict } from '../guardrails/guardrail.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { RateLimitDecision } from '../rate-limit/rate-limit-store.ts';

/** Fields every event carries. */
export interface EventBase {
  requestId: string;
  tenantId: string;
}

/**
 * Every pipeline stage emits one of these, so logs, metrics and traces hang off events without
 * touching the pipeline. Payloads are secret-free and carry no image bytes or base64.
 */
export interface GatewayEvents {
  'request-start': (
    event: EventBase & {
      source: string;
      /** `generate`, `edit` or `variation`. */
      operation?: NonNullable<AuditRecord['operation']>;
      requestedModel?: string;
      n?: number;
    },
  ) => void;
  'model-resolve': (event: EventBase & { model: string; provider: string; lifecycle: string }) => void;
  'capability-warning': (event: EventBase & { warning: GenerationWarning }) => void;
  'rate-limit': (
    event: EventBase & {
      allowed: boolean;
      limit: number;
      remaining: number;
      resetMs: number;
      decisions: RateLimitDecision[];
    },
  ) => void;
  'guardrail-verdict': (event: EventBase & { verdict: RecordedVerdict }) => void;
  'budget-reserve': (event: EventBase & { amountUsd: number | undefined; granted: boolean }) => void;
  'provider-call-start': (
    event: EventBase & { model: string; callIndex: number; attempt: number; n: number },
  ) => void;
  'provider-call-end': (
    event: EventBase & {
      model: string;
      callIndex: number;
      attempt: number;
      durationMs: number;
      images: number;
      errorCode?: string;
      reason?: string;
    },
  ) => void;
  'provider-retry': (
    event: EventBase & {
      model: string;
      callIndex: number;
      attempt: number;
      delayMs: number;
      reason?: string;
    },
  ) => void;
  'model-fallback': (event: EventBase & { from: string; to: string; errorCode: string }) => void;
  'storage-put': (
    event: EventBase & { key: string; sizeBytes: number; mediaType: string; durationMs: number },
  ) => void;
  'budget-settle': (
    event: EventBase & { reservedUsd: number; actualUsd: number | undefined; released: boolean },
  ) => void;
  'audit-write': (event: EventBase & { outcome: AuditRecord['outcome']; durationMs: number }) => void;
  'audit-error': (event: EventBase & { message: string }) => void;
  'request-end': (
    event: EventBase & {
      outcome: AuditRecord['outcome'];
      model?: string;
      durationMs: number;
      images: number;
      costUsd?: number;
      errorCode?: string;
      /** Token counts the provider reported (`inputTextTokens`, `outputImageTokens`, ...), as in the audit record. */
      usage?: Record<string, number>;
      warnings: number;
      /** `generate`, `edit` or `variation`. */
      operation?: NonNullable<AuditRecord['operation']>;
      /** Edits and variations: the input images and mask (hashes and sizes, never bytes). */
      inputImages?: AuditRecord['inputImages'];
      /** Streamed requests: native or not, partial images sent. */
      stream?: AuditRecord['stream'];
      /**
       * Milliseconds each pipeline stage took, measured by the runner on the gateway's clock, by
       * the stages' `timing` keys (`validate`, `rate_limit`, `input_guardrails`, `budget`,
       * `dispatch`, `output_guardrails`, `provenance`, `store`, `deliver`); a stage that did not
       * run has no key. Numbers only, so listeners (the stage histogram and spans) need not
       * estimate stage times from event gaps. The audit write is reported by `audit-write`.
       */
      timings?: Record<string, number>;
    },
  ) => void;
  /**
   * Durable jobs (`@pixelgate/jobs`), emitted by the process that does the step: `job-queued` by
   * the one that accepted the job, the others by the worker running it. `requestId` is the job id
   * (also the request id of the job's one audit record). Not in {@link GATEWAY_EVENT_NAMES}: a
   * gateway without jobs never emits them.
   */
  'job-queued': (event: EventBase & { jobId: string; source: string }) => void;
  /** A worker started the job; `attempt` above 1 means it took over from a worker that died. */
  'job-started': (event: EventBase & { jobId: string; attempt: number; waitedMs: number }) => void;
  /** One provider call of the job answered (or failed); `images` counts the images so far. */
  'job-progress': (event: EventBase & { jobId: string; callIndex: number; images: number }) => void;
  /**
   * A streamed job (`stream: true` with `partial_images`, on a model that streams) got a partial
   * image: which one, never its bytes (partial images are not stored).
   */
  'job-partial-image': (
    event: EventBase & { jobId: string; imageIndex: number; partialImageIndex: number; mediaType: string },
  ) => void;
  'job-succeeded': (event: EventBase & { jobId: string; durationMs: number; images: number }) => void;
  'job-failed': (event: EventBase & { jobId: string; durationMs: number; errorCode: string }) => void;
  'job-cancelled': (event: EventBase & { jobId: string; durationMs: number }) => void;
}

/** Every event name, in pipeline order: for subscribers that forward all events (logs, traces, tests). */
export const GATEWAY_EVENT_NAMES = [
  'request-start',
  'model-resolve',
  'capability-warning',
  'rate-limit',
  'guardrail-verdict',
  'budget-reserve',
  'provider-call-start',
  'provider-call-end',
  'provider-retry',
  'model-fallback',
  'storage-put',
  'budget-settle',
  'audit-write',
  'audit-error',
  'request-end',
] as const satisfies ReadonlyArray<keyof GatewayEvents>;

/** The typed emitter the gateway exposes as `gateway.events`. */
export type GatewayEventEmitter = EventEmitter<GatewayEvents>;

/** Creates a gateway event emitter. */
export function createGatewayEventEmitter(): GatewayEventEmitter {
  return new EventEmitter<GatewayEvents>();
}

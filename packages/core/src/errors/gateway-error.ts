import type { BackendReason, ErrorCode } from './error-codes.ts';
import type { RateLimitDecision } from './rate-limit-decision.ts';

const BRAND = Symbol.for('pixelgate.error');

/** Options shared by every {@link GatewayError}. */
export interface GatewayErrorOptions {
  /** The offending request field, dotted (`size`, `provider_options.stability.cfg_scale`). */
  param?: string;
  /** Provider id when the error concerns one provider. */
  provider?: string;
  /** Machine-readable extra facts (allowed values, remaining budget, ...). Never secrets or bytes. */
  details?: Record<string, unknown>;
  /** Override of the default retryability for the code. */
  retryable?: boolean;
  /** Override of the default HTTP status for the code. */
  status?: number;
  /** Milliseconds the caller should wait before retrying, when known. */
  retryAfterMs?: number;
  /** The underlying error, kept for logs; never rendered to clients. */
  cause?: unknown;
  /** The rate-limit decisions of the failed request, when it got past the rate-limit step. */
  rateLimit?: readonly RateLimitDecision[];
}

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  MODEL_NOT_FOUND: 404,
  MODEL_RETIRED: 410,
  MODEL_ACCESS_DENIED: 403,
  CONTENT_BLOCKED: 400,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  BACKEND_ERROR: 502,
  STORAGE_ERROR: 503,
  AUTHENTICATION_ERROR: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  TIMEOUT: 504,
  ABORTED: 499,
  CONFIGURATION_ERROR: 500,
  INTERNAL_ERROR: 500,
};

const DEFAULT_RETRYABLE: Partial<Record<ErrorCode, boolean>> = {
  RATE_LIMITED: true,
  STORAGE_ERROR: true,
  TIMEOUT: true,
};

/**
 * The one base class for every error pixelgate raises on purpose. Callers branch on the stable
 * `code`, HTTP layers render `status`, retry logic reads `retryable`, and `param` points the client
 * at the field to fix. Use {@link GatewayError.isInstance} rather than `instanceof`, so the check
 * still works when two copies of the package are installed.
 */
export class GatewayError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** HTTP status an HTTP layer should answer with. */
  readonly status: number;
  /** Whether repeating the same request may succeed. */
  readonly retryable: boolean;
  /** The offending request field, if one is to blame. */
  readonly param: string | undefined;
  /** The provider concerned, if any. */
  readonly provider: string | undefined;
  /** Extra machine-readable facts. */
  readonly details: Record<string, unknown> | undefined;
  /** Suggested wait before retrying, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /**
   * The rate-limit decisions of the request that failed, when it got past the rate-limit step,
   * so an HTTP layer can still send `x-ratelimit-*` with the error. Set by the pipeline on the
   * way out (a request's errors are its own), hence not readonly.
   */
  rateLimit: readonly RateLimitDecision[] | undefined;
  /** @internal brand for cross-copy checks. */
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE[code] ?? false;
    this.param = options.param;
    this.provider = options.provider;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.rateLimit = options.rateLimit;
  }

  /** True for any pixelgate error, even one created by another installed copy of this package. */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A plain, log-safe view (no cause, no stack). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      ...(this.param === undefined ? {} : { param: this.param }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Options of a {@link BackendError}: what the provider said, normalized. */
export interface BackendErrorOptions extends GatewayErrorOptions {
  /** The normalized failure reason. */
  reason: BackendReason;
  /** The provider's HTTP status, if it answered. */
  upstreamStatus?: number;
  /** The provider's own request id (x-request-id and the like), for support tickets. */
  upstreamRequestId?: string;
  /** The provider's own error code (e.g. `content_policy_violation`). */
  upstreamCode?: string;
}

const BACKEND_STATUS: Record<BackendReason, number> = {
  content_filtered: 422,
  upstream_rejected: 400,
  upstream_auth: 502,
  model_unavailable: 502,
  insufficient_credit: 502,
  rate_limited: 429,
  upstream_unavailable: 502,
  malformed_response: 502,
  timeout: 504,
};

const BACKEND_RETRYABLE: Record<BackendReason, boolean> = {
  content_filtered: false,
  upstream_rejected: false,
  upstream_auth: false,
  model_unavailable: false,
  insufficient_credit: false,
  rate_limited: true,
  upstream_unavailable: true,
  malformed_response: true,
  timeout: true,
};

/**
 * A provider call failed. Subclassed only because it carries typed upstream facts; plugins throw it
 * from their error mappers so that dispatch can decide on retries and fallbacks without knowing
 * any vendor's wire format.
 */
export class BackendError extends GatewayError {
  /** Normalized reason. */
  readonly reason: BackendReason;
  /** Provider HTTP status, if any. */
  readonly upstreamStatus: number | undefined;
  /** Provider request id, if any. */
  readonly upstreamRequestId: string | undefined;
  /** Provider error code, if any. */
  readonly upstreamCode: string | undefined;

  constructor(message: string, options: BackendErrorOptions) {
    super('BACKEND_ERROR', message, {
      ...options,
      status: options.status ?? BACKEND_STATUS[options.reason],
      retryable: options.retryable ?? BACKEND_RETRYABLE[options.reason],
      details: {
        reason: options.reason,
        ...(options.upstreamStatus === undefined ? {} : { upstream_status: options.upstreamStatus }),
        ...(options.upstreamRequestId === undefined
          ? {}
          : { upstream_request_id: options.upstreamRequestId }),
        ...(options.upstreamCode === undefined ? {} : { upstream_code: options.upstreamCode }),
        ...options.details,
      },
    });
    this.name = 'BackendError';
    this.reason = options.reason;
    this.upstreamStatus = options.upstreamStatus;
    this.upstreamRequestId = options.upstreamRequestId;
    this.upstreamCode = options.upstreamCode;
  }

  /** True for a BackendError from any installed copy. */
  static isBackendError(value: unknown): value is BackendError {
    return GatewayError.isInstance(value) && value.code === 'BACKEND_ERROR';
  }
}

/** Shorthand for the most common error: a request field the caller must change. */
export function validationError(
  param: string,
  message: string,
  details?: Record<string, unknown>,
): GatewayError {
  return new GatewayError('VALIDATION_ERROR', message, { param, ...(details ? { details } : {}) });
}

/**
 * Turns anything thrown into a GatewayError without leaking internals: pixelgate errors pass
 * through, aborts become ABORTED or TIMEOUT, anything else becomes INTERNAL_ERROR with a generic
 * message (the original is kept as `cause` for server-side logs only).
 */
export function toGatewayError(error: unknown): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError'
      ? new GatewayError('TIMEOUT', 'The request did not finish before its deadline.', { cause: error })
      : new GatewayError('ABORTED', 'The request was aborted by the caller.', { cause: error });
  }
  return new GatewayError('INTERNAL_ERROR', 'An internal error occurred; see the server logs.', {
    cause: error,
  });
}

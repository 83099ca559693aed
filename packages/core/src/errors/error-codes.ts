/**
 * The stable error codes pixelgate reports. They are part of the public contract: clients switch
 * on them, so a code is never renamed, only added.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'MODEL_NOT_FOUND',
  'MODEL_RETIRED',
  'MODEL_ACCESS_DENIED',
  'CONTENT_BLOCKED',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'BACKEND_ERROR',
  'STORAGE_ERROR',
  'AUTHENTICATION_ERROR',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'TIMEOUT',
  'ABORTED',
  'CONFIGURATION_ERROR',
  'INTERNAL_ERROR',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Why a provider call failed, normalized across providers so that callers, retries and audit
 * records can treat the same failure the same way whichever vendor produced it.
 */
export const BACKEND_REASONS = [
  /** The provider's safety system refused the prompt or withheld the image. Never retried. */
  'content_filtered',
  /** The provider rejected the request as invalid (400/413/422). */
  'upstream_rejected',
  /** The provider refused our credentials (401/403). Never the caller's fault. */
  'upstream_auth',
  /** The provider does not know the model or deployment (404). */
  'model_unavailable',
  /** The provider account has no credit left (402). */
  'insufficient_credit',
  /** The provider throttled us (429). Retryable after the hinted delay. */
  'rate_limited',
  /** 5xx or a connection failure. Retryable with care. */
  'upstream_unavailable',
  /** The provider answered, but not with something we could read. */
  'malformed_response',
  /** The provider did not answer before the deadline. */
  'timeout',
] as const;

/** One of {@link BACKEND_REASONS}. */
export type BackendReason = (typeof BACKEND_REASONS)[number];

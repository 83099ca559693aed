import type { GatewayError } from './gateway-error.ts';

/** OpenAI's error body, so OpenAI SDKs raise their own error classes with the right fields. */
export interface OpenAIErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string };
}

/** pixelgate's native error body. */
export interface NativeErrorEnvelope {
  error: {
    code: string;
    message: string;
    param: string | null;
    details: Record<string, unknown> | null;
    request_id: string | null;
  };
}

const OPENAI_TYPES: Record<string, string> = {
  VALIDATION_ERROR: 'invalid_request_error',
  MODEL_NOT_FOUND: 'invalid_request_error',
  MODEL_RETIRED: 'invalid_request_error',
  MODEL_ACCESS_DENIED: 'permission_error',
  CONTENT_BLOCKED: 'invalid_request_error',
  RATE_LIMITED: 'rate_limit_error',
  BUDGET_EXCEEDED: 'insufficient_quota',
  AUTHENTICATION_ERROR: 'authentication_error',
  NOT_FOUND: 'invalid_request_error',
  PAYLOAD_TOO_LARGE: 'invalid_request_error',
};

/**
 * Renders an error in OpenAI's envelope. The `code` is OpenAI-style lower case
 * (`content_policy_violation` for content blocks, as OpenAI clients expect), the rest lower-cased
 * pixelgate codes.
 */
export function toOpenAIErrorEnvelope(error: GatewayError): OpenAIErrorEnvelope {
  let code = error.code.toLowerCase();
  if (error.code === 'CONTENT_BLOCKED') code = 'content_policy_violation';
  if (error.code === 'MODEL_NOT_FOUND') code = 'model_not_found';
  if (error.code === 'BACKEND_ERROR' && error.details?.reason === 'content_filtered') {
    code = 'content_policy_violation';
  }
  return {
    error: {
      message: error.message,
      type: OPENAI_TYPES[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: error.param ?? null,
      code,
    },
  };
}

/** Renders an error in pixelgate's native envelope. */
export function toNativeErrorEnvelope(error: GatewayError, requestId?: string): NativeErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      param: error.param ?? null,
      details: error.details ?? null,
      request_id: requestId ?? null,
    },
  };
}

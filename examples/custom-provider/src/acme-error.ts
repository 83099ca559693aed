import {
  BackendError,
  type BackendReason,
  parseRetryAfter,
  readJsonBody,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import { acmeErrorSchema } from './acme-api.ts';

/** Acme's error codes to pixelgate's normalized reasons; the status decides when the code is unknown. */
const REASON_BY_CODE: Record<string, BackendReason> = {
  invalid_request: 'upstream_rejected',
  invalid_api_key: 'upstream_auth',
  insufficient_credit: 'insufficient_credit',
  unknown_model: 'model_unavailable',
  content_policy: 'content_filtered',
  rate_limited: 'rate_limited',
  overloaded: 'upstream_unavailable',
  internal: 'upstream_unavailable',
};

function reasonForStatus(status: number): BackendReason {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 402) return 'insufficient_credit';
  if (status === 404) return 'model_unavailable';
  if (status === 422) return 'content_filtered';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'upstream_unavailable';
  return 'upstream_rejected';
}

/**
 * Turns an Acme error response into a BackendError with the normalized reason, the upstream
 * status, code and request id, and a message cleaned of secrets and base64, so what reaches
 * callers, logs and audit records is safe. The body is read with a size cap and may be anything.
 */
export async function mapAcmeError(
  response: Response,
  options: { provider: string; secrets: string[]; signal: AbortSignal; upstreamRequestId?: string },
): Promise<BackendError> {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const body = await readJsonBody(response, {
      provider: options.provider,
      maxBytes: 64 * 1024,
      signal: options.signal,
    });
    const parsed = acmeErrorSchema.safeParse(body);
    if (parsed.success) {
      code = parsed.data.error.code;
      message = truncateText(stripBase64(redactSecrets(parsed.data.error.message, options.secrets)), 300);
    }
  } catch (error) {
    if (options.signal.aborted) throw error;
    // A cut or non-JSON error body (a proxy's HTML page): the status alone decides.
  }
  const reason = (code ? REASON_BY_CODE[code] : undefined) ?? reasonForStatus(response.status);
  const retryAfterMs = parseRetryAfter(response.headers);
  return new BackendError(`acme-images: ${message}`, {
    reason,
    provider: options.provider,
    upstreamStatus: response.status,
    ...(code ? { upstreamCode: code } : {}),
    ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

import {
  BackendError,
  type BackendReason,
  parseDuration,
  parseRetryAfter,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import { z } from 'zod';

/** Google's RPC error body; lenient, because a proxy or a truncated answer may send anything. */
const googleRpcErrorSchema = z.looseObject({
  error: z.looseObject({
    code: z.number().nullish(),
    message: z.string().nullish(),
    status: z.string().nullish(),
    details: z.array(z.looseObject({ '@type': z.string().nullish() })).nullish(),
  }),
});

/**
 * Words of Imagen's responsible-AI refusal of a prompt ("The prompt could not be submitted. This
 * prompt contains sensitive words that violate Google's Responsible AI practices ... Support
 * codes: ..."). The exact wording is not specified; these fragments are the stable parts.
 */
const RAI_PROMPT_BLOCK =
  /could not be submitted|responsible ai|violat\w* .{0,40}(?:policy|policies|practices)|support codes?:/i;

/** What an RPC error body says, reduced to the facts the mapper needs. */
export interface GoogleRpcFacts {
  status?: string;
  message?: string;
  reasons: string[];
  retryDelayMs?: number;
}

/** Extracts status, message, ErrorInfo reasons and RetryInfo delay from a parsed body. */
export function readRpcError(body: unknown): GoogleRpcFacts | undefined {
  const parsed = googleRpcErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { error } = parsed.data;
  const reasons: string[] = [];
  let retryDelayMs: number | undefined;
  for (const detail of error.details ?? []) {
    const type = detail['@type'] ?? '';
    if (typeof detail.reason === 'string') reasons.push(detail.reason);
    if (type.endsWith('RetryInfo') && typeof detail.retryDelay === 'string') {
      retryDelayMs = parseDuration(detail.retryDelay);
    }
  }
  return {
    ...(error.status ? { status: error.status } : {}),
    ...(error.message ? { message: error.message } : {}),
    reasons,
    ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
  };
}

/**
 * Maps a non-2xx answer to a BackendError. Decided by Google's RPC `status` and ErrorInfo reason
 * first (400 `API_KEY_INVALID` is an auth failure, not a bad request), then by HTTP status. The
 * message is Google's, with secrets redacted, base64 stripped and length capped.
 */
export function mapGoogleHttpError(options: {
  provider: string;
  status: number;
  headers: Headers;
  body: unknown;
  secrets: ReadonlyArray<string | undefined>;
  upstreamRequestId?: string | undefined;
}): BackendError {
  const facts = readRpcError(options.body);
  const rpcStatus = facts?.status;
  const reasons = facts?.reasons ?? [];
  const upstreamMessage = facts?.message
    ? truncateText(stripBase64(redactSecrets(facts.message, options.secrets)), 500)
    : undefined;

  let reason: BackendReason;
  if (reasons.includes('API_KEY_INVALID') || options.status === 401 || rpcStatus === 'UNAUTHENTICATED') {
    reason = 'upstream_auth';
  } else if (options.status === 403 || rpcStatus === 'PERMISSION_DENIED') {
    reason = 'upstream_auth';
  } else if (options.status === 404 || rpcStatus === 'NOT_FOUND') {
    reason = 'model_unavailable';
  } else if (options.status === 429 || rpcStatus === 'RESOURCE_EXHAUSTED') {
    reason = 'rate_limited';
  } else if (options.status === 400 && upstreamMessage && RAI_PROMPT_BLOCK.test(upstreamMessage)) {
    reason = 'content_filtered';
  } else if (options.status === 408 || options.status === 504 || rpcStatus === 'DEADLINE_EXCEEDED') {
    reason = 'timeout';
  } else if (options.status >= 500) {
    reason = 'upstream_unavailable';
  } else {
    reason = 'upstream_rejected';
  }

  const retryAfterMs = facts?.retryDelayMs ?? parseRetryAfter(options.headers);
  const what =
    reason === 'content_filtered'
      ? 'refused the prompt (responsible-AI filter)'
      : reason === 'upstream_auth'
        ? 'refused our credentials'
        : reason === 'model_unavailable'
          ? 'does not serve this model here'
          : reason === 'rate_limited'
            ? 'is rate limiting us'
            : reason === 'upstream_rejected'
              ? 'rejected the request'
              : 'failed';
  return new BackendError(
    `Google ${what} (HTTP ${options.status}${rpcStatus ? ` ${rpcStatus}` : ''})${upstreamMessage ? `: ${upstreamMessage}` : '.'}`,
    {
      reason,
      provider: options.provider,
      upstreamStatus: options.status,
      ...(rpcStatus || reasons[0] ? { upstreamCode: reasons[0] ?? rpcStatus } : {}),
      ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

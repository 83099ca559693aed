/**
 * Turns a fal error answer into a BackendError with a normalized reason, so dispatch decides on
 * retries without knowing fal's wire format.
 */
import {
  BackendError,
  type BackendReason,
  parseRetryAfter,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import { type FalErrorBody, falErrorBodySchema } from './fal-api.ts';

/** Wait hint for a 429 without `retry-after`. UNCONFIRMED. */
export const FAL_DEFAULT_RETRY_AFTER_MS = 2_000;

/** The error `type` fal uses for a refused prompt or image. UNCONFIRMED. */
export const FAL_CONTENT_POLICY_TYPE = 'content_policy_violation';

/** Input field → the request field a caller must change. */
const FIELD_TO_PARAM: Readonly<Record<string, string>> = {
  prompt: 'prompt',
  negative_prompt: 'negative_prompt',
  image_size: 'size',
  aspect_ratio: 'aspect_ratio',
  num_images: 'n',
  seed: 'seed',
  output_format: 'output_format',
  style: 'style',
};

/** Everything the mapper needs to know about one failed exchange. */
export interface FalErrorContext {
  provider: string;
  status: number;
  headers: Headers;
  /** The raw error body (already size-capped); may be empty or not JSON. */
  bodyText: string;
  secrets: ReadonlyArray<string | undefined>;
  now?: number;
}

function parseBody(text: string): FalErrorBody | undefined {
  try {
    const parsed = falErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function firstDetail(body: FalErrorBody | undefined): { text: string; field?: string; type?: string } {
  const detail = body?.detail;
  if (typeof detail === 'string') return { text: detail };
  if (!Array.isArray(detail) || detail.length === 0) return { text: '' };
  const first = detail[0]!;
  const location = (first.loc ?? []).filter((part) => part !== 'body');
  const field = typeof location[0] === 'string' ? location[0] : undefined;
  return {
    text: `${location.join('.')}${location.length ? ': ' : ''}${first.msg ?? ''}`,
    ...(field ? { field } : {}),
    ...(first.type ? { type: first.type } : {}),
  };
}

/**
 * Maps one non-2xx answer: 401/403 `upstream_auth`, 404 `model_unavailable`, a
 * `content_policy_violation` detail `content_filtered` (never retried), other 4xx
 * `upstream_rejected` (naming the field), 429 `rate_limited`, 5xx `upstream_unavailable`.
 */
export function mapFalError(context: FalErrorContext): BackendError {
  const { status, provider } = context;
  const body = parseBody(context.bodyText);
  const detail = firstDetail(body);
  const raw = detail.text || (body ? '' : context.bodyText.trim());
  const said = raw
    ? `: ${truncateText(stripBase64(redactSecrets(raw, context.secrets)).replace(/\s+/g, ' '), 300)}`
    : '.';
  const make = (
    reason: BackendReason,
    message: string,
    extra: { param?: string; retryAfterMs?: number } = {},
  ) =>
    new BackendError(message, {
      reason,
      provider,
      upstreamStatus: status,
      ...(detail.type ? { upstreamCode: detail.type } : {}),
      ...extra,
    });

  if (detail.type === FAL_CONTENT_POLICY_TYPE) {
    return make(
      'content_filtered',
      `fal's content checker refused the request (${status}). Change the prompt; retrying will not help.`,
      { param: 'prompt' },
    );
  }
  if (status === 401 || status === 403)
    return make('upstream_auth', `fal refused the key (${status})${said} Check apiKey or FAL_KEY.`);
  if (status === 404) return make('model_unavailable', `fal does not serve this model (404)${said}`);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now) ?? FAL_DEFAULT_RETRY_AFTER_MS;
    return make(
      'rate_limited',
      `fal is rate limiting this key (429). Retry after ${Math.ceil(retryAfterMs / 1000)} s.`,
      { retryAfterMs },
    );
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now);
    return make(
      'upstream_unavailable',
      `fal failed (${status})${said}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  const param = detail.field
    ? (FIELD_TO_PARAM[detail.field] ?? `provider_options.${provider}.${detail.field}`)
    : undefined;
  return make('upstream_rejected', `fal rejected the request (${status})${said}`, param ? { param } : {});
}

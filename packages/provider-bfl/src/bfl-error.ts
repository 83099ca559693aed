/**
 * Turns a BFL error answer (submit or poll) and BFL's terminal task statuses into BackendErrors
 * with normalized reasons, so dispatch decides on retries without knowing BFL's wire format.
 */
import {
  BackendError,
  type BackendReason,
  parseRetryAfter,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import { type BflErrorBody, bflErrorBodySchema } from './bfl-api.ts';

/** Wait hint for a 429 without `retry-after` (BFL limits active tasks per key). UNCONFIRMED. */
export const BFL_DEFAULT_RETRY_AFTER_MS = 5_000;

/** Wire field → the request field a caller must change. */
const WIRE_FIELD_TO_PARAM: Readonly<Record<string, string>> = {
  prompt: 'prompt',
  width: 'size',
  height: 'size',
  aspect_ratio: 'aspect_ratio',
  seed: 'seed',
  output_format: 'output_format',
};

/** Everything the mapper needs to know about one failed exchange. */
export interface BflErrorContext {
  provider: string;
  status: number;
  headers: Headers;
  /** The raw error body (already size-capped); may be empty or not JSON. */
  bodyText: string;
  secrets: ReadonlyArray<string | undefined>;
  now?: number;
}

function parseBody(text: string): BflErrorBody | undefined {
  try {
    const parsed = bflErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function detailOf(body: BflErrorBody | undefined): { text: string; field?: string } {
  const detail = body?.detail;
  if (typeof detail === 'string') return { text: detail };
  if (!Array.isArray(detail) || detail.length === 0) return { text: '' };
  const first = detail[0]!;
  const location = (first.loc ?? []).filter((part) => part !== 'body');
  const field = typeof location[0] === 'string' ? location[0] : undefined;
  return {
    text: `${location.join('.')}${location.length ? ': ' : ''}${first.msg ?? ''}`,
    ...(field ? { field } : {}),
  };
}

/**
 * Maps one non-2xx answer: 401/403 `upstream_auth`, 402 `insufficient_credit`, 404
 * `model_unavailable`, 422 and other 4xx `upstream_rejected` (naming the field when the body
 * does), 429 `rate_limited` (retryable, with a wait hint), 5xx `upstream_unavailable`. Body text
 * is scrubbed of secrets and base64 before it reaches a message.
 */
export function mapBflError(context: BflErrorContext): BackendError {
  const { status, provider } = context;
  const body = parseBody(context.bodyText);
  const detail = detailOf(body);
  const raw = detail.text || (body ? '' : context.bodyText.trim());
  const said = raw
    ? `: ${truncateText(stripBase64(redactSecrets(raw, context.secrets)).replace(/\s+/g, ' '), 300)}`
    : '.';
  const make = (
    reason: BackendReason,
    message: string,
    extra: { param?: string; retryAfterMs?: number } = {},
  ) => new BackendError(message, { reason, provider, upstreamStatus: status, ...extra });

  if (status === 401 || status === 403) {
    return make(
      'upstream_auth',
      `Black Forest Labs refused the API key (${status})${said} Check apiKey or BFL_API_KEY.`,
    );
  }
  if (status === 402)
    return make('insufficient_credit', `The Black Forest Labs account is out of credits (402)${said}`);
  if (status === 404)
    return make('model_unavailable', `Black Forest Labs does not serve this endpoint (404)${said}`);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now) ?? BFL_DEFAULT_RETRY_AFTER_MS;
    return make(
      'rate_limited',
      `Black Forest Labs is rate limiting this key (429; it limits active tasks per key). Retry after ${Math.ceil(retryAfterMs / 1000)} s.`,
      { retryAfterMs },
    );
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now);
    return make(
      'upstream_unavailable',
      `Black Forest Labs failed (${status})${said}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  const param = detail.field
    ? (WIRE_FIELD_TO_PARAM[detail.field] ?? `provider_options.${provider}.${detail.field}`)
    : undefined;
  return make(
    'upstream_rejected',
    `Black Forest Labs rejected the request (${status})${said}`,
    param ? { param } : {},
  );
}

/** A terminal task status other than `Ready`, as a BackendError. */
export function bflStatusError(provider: string, status: string, taskId: string): BackendError {
  const upstream = { provider, upstreamCode: status, upstreamRequestId: taskId };
  if (status === 'Request Moderated' || status === 'Content Moderated') {
    const which = status === 'Request Moderated' ? 'the prompt' : 'the generated image';
    return new BackendError(
      `Black Forest Labs' moderation refused ${which} (${status}). Change the prompt; retrying will not help.`,
      { reason: 'content_filtered', param: 'prompt', ...upstream },
    );
  }
  if (status === 'Task not found') {
    return new BackendError(
      `Black Forest Labs no longer knows the task (Task not found); its result may have expired.`,
      {
        reason: 'upstream_unavailable',
        ...upstream,
      },
    );
  }
  if (status === 'Error') {
    return new BackendError('Black Forest Labs reported that the generation failed (Error).', {
      reason: 'upstream_unavailable',
      ...upstream,
    });
  }
  return new BackendError(
    `Black Forest Labs answered with an unknown task status '${truncateText(status, 40)}'.`,
    {
      reason: 'malformed_response',
      ...upstream,
    },
  );
}

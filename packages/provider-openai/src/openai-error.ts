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

/**
 * OpenAI's error envelope (`ErrorResponse`), read leniently: Azure and compatible servers send
 * variants (`code` as a number-like string, extra `inner_error`), and a mapper must never fail on
 * the error it is trying to report.
 */
const openAIErrorBodySchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
    moderation_details: z
      .object({ moderation_stage: z.string().nullish(), categories: z.array(z.string()).nullish() })
      .nullish(),
    inner_error: z.object({ code: z.string().nullish() }).passthrough().nullish(),
  }),
});

/** The upstream error as the mapper saw it, for tests and logs. */
export type OpenAIErrorBody = z.infer<typeof openAIErrorBodySchema>['error'];

/** Context the mapper needs to write a useful message. */
export interface OpenAIErrorContext {
  /** Provider id (`openai`, `azure-openai`). */
  provider: string;
  /** Human name used in messages (`OpenAI`, `Azure OpenAI`). */
  label: string;
  /** The model (and deployment) the call was for, named in 404 messages. */
  modelId: string;
  deployment?: string | undefined;
  /** Secrets that must never reach a message. */
  secrets: ReadonlyArray<string | undefined>;
  /** Clock for HTTP-date Retry-After values. */
  now?: number;
}

/**
 * Key-shaped text: OpenAI's 401 message echoes a masked key (`sk-abc*****wxyz`) whose visible
 * parts are still parts of the key; Azure keys are 32 hex characters.
 */
const KEY_LIKE = /\b(?:sk|rk|pk)-[A-Za-z0-9_*.-]{4,}|\b[a-f0-9]{32}\b/g;

/** Makes upstream text safe for a message: no secrets, nothing key-shaped, no base64, bounded. */
export function sanitizeUpstreamText(text: string, secrets: ReadonlyArray<string | undefined>): string {
  return truncateText(stripBase64(redactSecrets(text, secrets)).replace(KEY_LIKE, '[REDACTED]'), 300);
}

/** Reads the request id OpenAI (`x-request-id`) or Azure (`apim-request-id`) put on an answer. */
export function upstreamRequestIdOf(headers: Headers): string | undefined {
  return (
    headers.get('x-request-id') ??
    headers.get('apim-request-id') ??
    headers.get('x-ms-request-id') ??
    undefined
  );
}

/**
 * How long a 429 or 5xx asks us to wait: `retry-after-ms`, then `retry-after`, then the
 * `x-ratelimit-reset-*` durations of the exhausted limits (or the longest reset when none says
 * which limit ran out).
 */
export function retryAfterFromHeaders(headers: Headers, now: number = Date.now()): number | undefined {
  const explicit = parseRetryAfter(headers, now);
  if (explicit !== undefined) return explicit;
  const candidates: number[] = [];
  const exhausted: number[] = [];
  for (const kind of ['requests', 'tokens']) {
    const reset = headers.get(`x-ratelimit-reset-${kind}`);
    const duration = reset === null ? undefined : parseDuration(reset);
    if (duration === undefined) continue;
    candidates.push(duration);
    if (headers.get(`x-ratelimit-remaining-${kind}`)?.trim() === '0') exhausted.push(duration);
  }
  const pool = exhausted.length > 0 ? exhausted : candidates;
  return pool.length > 0 ? Math.max(...pool) : undefined;
}

function parseBody(text: string): OpenAIErrorBody | undefined {
  try {
    const parsed = openAIErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

const FILTER_CODES = new Set(['content_policy_violation', 'moderation_blocked', 'content_filter']);

/**
 * Turns a non-2xx OpenAI answer into a BackendError with a normalized reason. Safety rejections are
 * content_filtered (never retried); `insufficient_quota` is a 429 that waiting will not fix;
 * authentication messages never carry upstream text (OpenAI echoes a masked key there).
 */
export function mapOpenAIError(
  status: number,
  headers: Headers,
  bodyText: string,
  context: OpenAIErrorContext,
): BackendError {
  const body = parseBody(bodyText);
  const upstreamRequestId = upstreamRequestIdOf(headers);
  const code = body?.code === undefined || body.code === null ? undefined : String(body.code);
  const innerCode = body?.inner_error?.code ?? undefined;
  const upstreamMessage = body?.message
    ? sanitizeUpstreamText(body.message, context.secrets)
    : bodyText.trim()
      ? sanitizeUpstreamText(bodyText.trim(), context.secrets)
      : undefined;
  const shouldRetry = headers.get('x-should-retry');
  const common = {
    provider: context.provider,
    upstreamStatus: status,
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
    ...(code ? { upstreamCode: code } : {}),
  };
  const said = (prefix: string) =>
    `${prefix}${code ? ` (${status} ${code})` : ` (HTTP ${status})`}${upstreamMessage ? `: ${upstreamMessage}` : '.'}`;
  const make = (reason: BackendReason, message: string, extra: Record<string, unknown> = {}) =>
    new BackendError(message, { ...common, reason, ...extra });

  if ((code && FILTER_CODES.has(code)) || (innerCode && FILTER_CODES.has(innerCode))) {
    const categories = body?.moderation_details?.categories ?? [];
    const labels = categories.map((category) => `provider:openai:moderation:${category}`);
    return make('content_filtered', said(`${context.label}'s safety system rejected the request`), {
      retryable: false,
      details: {
        ...(labels.length > 0 ? { labels } : {}),
        ...(body?.moderation_details?.moderation_stage
          ? { moderation_stage: body.moderation_details.moderation_stage }
          : {}),
      },
    });
  }
  if (status === 401) {
    return make(
      'upstream_auth',
      `${context.label} refused the configured credentials (401${code ? ` ${code}` : ''}). Check the provider's API key setting.`,
    );
  }
  if (status === 403) {
    return make('upstream_auth', said(`${context.label} denied permission for model ${context.modelId}`));
  }
  if (status === 429 && (code === 'insufficient_quota' || body?.type === 'insufficient_quota')) {
    return make('insufficient_credit', said(`${context.label} reports the account's quota is used up`), {
      retryable: false,
    });
  }
  if (status === 402) {
    return make('insufficient_credit', said(`${context.label} reports the account has no credit left`));
  }
  if (status === 404 || code === 'model_not_found' || code === 'DeploymentNotFound') {
    const what = context.deployment
      ? `deployment ${context.deployment} (model ${context.modelId})`
      : `model ${context.modelId}`;
    return make('model_unavailable', said(`${context.label} does not serve ${what}`));
  }
  const retryAfterMs = retryAfterFromHeaders(headers, context.now);
  const retryOverride = shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : undefined;
  if (status === 429) {
    return make('rate_limited', said(`${context.label} is rate limiting requests`), {
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(retryOverride === undefined ? {} : { retryable: retryOverride }),
    });
  }
  if (status === 408) {
    return make('timeout', said(`${context.label} timed out`), {
      ...(retryOverride === undefined ? {} : { retryable: retryOverride }),
    });
  }
  if (status >= 500 || status === 409) {
    return make('upstream_unavailable', said(`${context.label} failed`), {
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(retryOverride === undefined ? {} : { retryable: retryOverride }),
    });
  }
  const param = body?.param ?? undefined;
  return make('upstream_rejected', said(`${context.label} rejected the request`), {
    ...(param ? { param } : {}),
  });
}

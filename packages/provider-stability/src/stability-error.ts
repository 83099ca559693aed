/**
 * Turns a Stability error answer into a BackendError with a normalized reason, so that dispatch can
 * decide about retries and fallbacks without knowing Stability's wire format.
 */
import {
  BackendError,
  type BackendReason,
  parseRetryAfter,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import { type StabilityErrorBody, stabilityErrorBodySchema } from './stability-api.ts';

/**
 * Stability documents a 150-requests-per-10-seconds limit followed by a 60-second lockout, and no
 * retry header. A 429 without `retry-after` carries no hint: inventing one (the full lockout)
 * made dispatch sleep the whole minute (60 s equals the gateway's default `maxRetryAfterMs`)
 * before each retry; without a hint dispatch uses its normal backoff, and a real `retry-after` at
 * or above the gateway's cap fails fast as `rate_limited` with the hint for the caller.
 */
export const STABILITY_RATE_LIMIT_LOCKOUT_MS = 60_000;

/** Wire field → the request field a caller must change. */
const WIRE_FIELD_TO_PARAM: Readonly<Record<string, string>> = {
  prompt: 'prompt',
  text_prompts: 'prompt',
  negative_prompt: 'negative_prompt',
  aspect_ratio: 'aspect_ratio',
  seed: 'seed',
  output_format: 'output_format',
  style_preset: 'style',
  width: 'size',
  height: 'size',
  samples: 'n',
  cfg_scale: 'provider_options.stability.cfg_scale',
  model: 'provider_options.stability.model',
  steps: 'provider_options.stability.steps',
  sampler: 'provider_options.stability.sampler',
  clip_guidance_preset: 'provider_options.stability.clip_guidance_preset',
  image: 'image',
  mask: 'mask',
  grow_mask: 'provider_options.stability.grow_mask',
  left: 'provider_options.stability.left',
  right: 'provider_options.stability.right',
  up: 'provider_options.stability.up',
  down: 'provider_options.stability.down',
  creativity: 'provider_options.stability.creativity',
  search_prompt: 'provider_options.stability.search_prompt',
};

/** v1 error names that say which field is wrong. */
const V1_NAME_TO_PARAM: Readonly<Record<string, string>> = {
  invalid_sdxl_v1_dimensions: 'size',
  invalid_sdxl_v222_dimensions: 'size',
  invalid_height_or_width: 'size',
  invalid_pixel_count: 'size',
  invalid_samples: 'n',
  invalid_prompts: 'prompt',
  invalid_language: 'prompt',
};

/** Everything the mapper needs to know about one failed exchange. */
export interface StabilityErrorContext {
  /** Provider id for messages. */
  provider: string;
  status: number;
  headers: Headers;
  /** The raw error body (already size-capped); may be empty or not JSON. */
  bodyText: string;
  /** Secrets to scrub from anything quoted. */
  secrets: ReadonlyArray<string | undefined>;
  /** Option names the caller set in `provider_options.stability` (to blame the right field). */
  optionKeys?: ReadonlyArray<string>;
  /** The clock, for `retry-after` dates. */
  now?: number;
}

function parseBody(text: string): StabilityErrorBody | undefined {
  if (!text.trim()) return undefined;
  try {
    const parsed = stabilityErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function paramFromBody(
  body: StabilityErrorBody | undefined,
  optionKeys: ReadonlyArray<string>,
): string | undefined {
  if (!body) return undefined;
  if (body.name && V1_NAME_TO_PARAM[body.name]) return V1_NAME_TO_PARAM[body.name];
  const texts = [...(body.errors ?? []), ...(body.message ? [body.message] : [])];
  for (const text of texts) {
    const match = /^\s*([a-z_][a-z0-9_]*)(?:\[\d+\])?(?:\.[a-z_]+)?\s*:/i.exec(text);
    const field = match?.[1]?.toLowerCase();
    if (!field) continue;
    if (field === 'style_preset' && optionKeys.includes('style_preset'))
      return 'provider_options.stability.style_preset';
    if ((field === 'width' || field === 'height' || field === 'samples') && optionKeys.includes(field)) {
      return `provider_options.stability.${field}`;
    }
    const param = WIRE_FIELD_TO_PARAM[field];
    if (param) return param;
  }
  return undefined;
}

/** The upstream text, scrubbed of secrets and base64, short enough for a message. */
function upstreamText(
  body: StabilityErrorBody | undefined,
  raw: string,
  secrets: ReadonlyArray<string | undefined>,
): string {
  const parts = body ? [...(body.errors ?? []), ...(body.message ? [body.message] : [])] : [];
  const text = parts.length ? parts.join('; ') : body ? '' : raw.trim();
  if (!text) return '';
  return truncateText(stripBase64(redactSecrets(text, secrets)).replace(/\s+/g, ' '), 400);
}

/**
 * Maps one non-2xx answer: 400/413/422 `upstream_rejected` (naming the field when the body does),
 * 401 `upstream_auth`, 402 `insufficient_credit`, 403 `content_moderation` → `content_filtered`
 * (never retried; other 403s are credential problems), 404 `model_unavailable`, 429 `rate_limited`
 * (retryable, 60 s hint unless told otherwise), 5xx `upstream_unavailable`. No body text reaches a
 * message without secret and base64 scrubbing.
 */
export function mapStabilityError(context: StabilityErrorContext): BackendError {
  const { status, provider } = context;
  const body = parseBody(context.bodyText);
  const name = body?.name ?? undefined;
  const upstreamRequestId = body?.id ?? context.headers.get('x-request-id') ?? undefined;
  const detail = upstreamText(body, context.bodyText, context.secrets);
  const said = detail ? `: ${detail}` : '.';
  const label = `${status}${name ? ` ${redactSecrets(name, context.secrets)}` : ''}`;
  const common = {
    provider,
    upstreamStatus: status,
    ...(upstreamRequestId ? { upstreamRequestId: redactSecrets(upstreamRequestId, context.secrets) } : {}),
    ...(name ? { upstreamCode: redactSecrets(name, context.secrets) } : {}),
  };
  const make = (
    reason: BackendReason,
    message: string,
    extra: { param?: string; retryAfterMs?: number } = {},
  ) => new BackendError(message, { reason, ...common, ...extra });

  if (status === 401) {
    return make(
      'upstream_auth',
      `Stability AI refused the API key (${label})${said} Check the provider's apiKey setting or STABILITY_API_KEY.`,
    );
  }
  if (status === 402) {
    return make('insufficient_credit', `The Stability AI account is out of credits (${label})${said}`);
  }
  if (status === 403) {
    const moderation = name === 'content_moderation' || /moderation/i.test(detail);
    if (moderation) {
      return make(
        'content_filtered',
        `Stability AI's content moderation refused the request (${label}); it was not charged. Change the prompt; retrying will not help.`,
        { param: 'prompt' },
      );
    }
    return make('upstream_auth', `Stability AI denied permission (${label})${said}`);
  }
  if (status === 404) {
    return make(
      'model_unavailable',
      `Stability AI does not serve this model or endpoint (${label})${said} The engine may be retired or the base URL wrong.`,
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now);
    return make(
      'rate_limited',
      `Stability AI is rate limiting this key (${label}; 150 requests per 10 seconds, then a ${STABILITY_RATE_LIMIT_LOCKOUT_MS / 1000}-second lockout).` +
        (retryAfterMs === undefined ? '' : ` Retry after ${Math.ceil(retryAfterMs / 1000)} s.`),
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(context.headers, context.now);
    return make('upstream_unavailable', `Stability AI failed (${label})${said}`, {
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  const param = paramFromBody(body, context.optionKeys ?? []);
  if (status === 413) {
    return make(
      'upstream_rejected',
      `Stability AI refused the request as too large (${label}; the limit is 10 MiB)${said}`,
      {
        ...(param ? { param } : {}),
      },
    );
  }
  return make('upstream_rejected', `Stability AI rejected the request (${label})${said}`, {
    ...(param ? { param } : {}),
  });
}

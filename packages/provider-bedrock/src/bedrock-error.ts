/**
 * Turns what the AWS SDK throws for InvokeModel into pixelgate errors with normalized reasons, so
 * dispatch decides on retries without knowing Bedrock's exception names.
 */
import {
  abortErrorFrom,
  BackendError,
  type BackendReason,
  GatewayError,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';

/** Wait hint for a throttled call: Bedrock sends no retry header (UNCONFIRMED). */
export const BEDROCK_THROTTLE_RETRY_MS = 2_000;
/** Wait hint for an exceeded service quota (the quota window is not stated; UNCONFIRMED). */
export const BEDROCK_QUOTA_RETRY_MS = 60_000;

/** The message Bedrock gives when its content filter refuses a prompt or an image (matched loosely). */
export const BEDROCK_CONTENT_FILTER_PATTERN =
  /blocked by (our|the) content filters?|content filters? (blocked|rejected)/i;

/** The fields of an AWS SDK service exception the mapper reads. */
interface AwsErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** Everything the mapper needs to know about one failed call. */
export interface BedrockErrorContext {
  provider: string;
  error: unknown;
  /** The call's signal: a fired one turns any failure into ABORTED or TIMEOUT. */
  signal: AbortSignal;
  secrets: ReadonlyArray<string | undefined>;
  modelId: string;
  region: string;
}

type Rule = {
  reason: BackendReason;
  message: (said: string, context: BedrockErrorContext) => string;
  retryAfterMs?: number;
  param?: string;
};

const RULES: Readonly<Record<string, Rule>> = {
  ThrottlingException: {
    reason: 'rate_limited',
    retryAfterMs: BEDROCK_THROTTLE_RETRY_MS,
    message: (said) => `Bedrock is throttling this account (ThrottlingException)${said}`,
  },
  ServiceQuotaExceededException: {
    reason: 'rate_limited',
    retryAfterMs: BEDROCK_QUOTA_RETRY_MS,
    message: (said) =>
      `The account's Bedrock service quota is used up (ServiceQuotaExceededException)${said} Ask AWS for a quota increase if this persists.`,
  },
  AccessDeniedException: {
    reason: 'upstream_auth',
    message: (said, c) =>
      `Bedrock denied access to '${c.modelId}' in ${c.region} (AccessDeniedException)${said} Grant the IAM permission bedrock:InvokeModel and enable model access for this region in the Bedrock console.`,
  },
  UnrecognizedClientException: {
    reason: 'upstream_auth',
    message: (said) =>
      `AWS did not recognise the credentials (UnrecognizedClientException)${said} Check the AWS credential chain.`,
  },
  InvalidSignatureException: {
    reason: 'upstream_auth',
    message: (said) =>
      `AWS refused the request signature (InvalidSignatureException)${said} Check the secret key and the clock.`,
  },
  ExpiredTokenException: {
    reason: 'upstream_auth',
    message: (said) => `The AWS session token has expired (ExpiredTokenException)${said}`,
  },
  ModelNotReadyException: {
    reason: 'upstream_unavailable',
    retryAfterMs: BEDROCK_THROTTLE_RETRY_MS,
    message: (said) => `The Bedrock model is not ready yet (ModelNotReadyException)${said}`,
  },
  ResourceNotFoundException: {
    reason: 'model_unavailable',
    message: (said, c) =>
      `Bedrock does not serve '${c.modelId}' in ${c.region} (ResourceNotFoundException)${said}`,
  },
  ModelTimeoutException: {
    reason: 'timeout',
    message: (said) => `The Bedrock model took too long (ModelTimeoutException)${said}`,
  },
  ModelErrorException: {
    reason: 'upstream_unavailable',
    message: (said) => `The Bedrock model failed (ModelErrorException)${said}`,
  },
  InternalServerException: {
    reason: 'upstream_unavailable',
    message: (said) => `Bedrock failed (InternalServerException)${said}`,
  },
  ServiceUnavailableException: {
    reason: 'upstream_unavailable',
    message: (said) => `Bedrock is unavailable (ServiceUnavailableException)${said}`,
  },
};

function validationRule(text: string): Rule {
  if (BEDROCK_CONTENT_FILTER_PATTERN.test(text)) {
    return {
      reason: 'content_filtered',
      param: 'prompt',
      message: () =>
        "Bedrock's content filters blocked the request (ValidationException). Change the prompt; retrying will not help.",
    };
  }
  if (/model identifier is invalid/i.test(text)) {
    return {
      reason: 'model_unavailable',
      message: (said, c) =>
        `Bedrock does not know '${c.modelId}' in ${c.region} (ValidationException)${said}`,
    };
  }
  return {
    reason: 'upstream_rejected',
    message: (said) => `Bedrock rejected the request (ValidationException)${said}`,
  };
}

/**
 * Maps one failure: a fired signal is ABORTED/TIMEOUT; missing credentials are a
 * CONFIGURATION_ERROR; service exceptions by name (throttling and quotas `rate_limited`, access
 * `upstream_auth`, content-filter ValidationException `content_filtered`, other validation
 * `upstream_rejected`, model readiness and 5xx `upstream_unavailable`); a connection failure
 * `upstream_unavailable`. Messages are scrubbed of secrets and base64.
 */
export function mapBedrockError(context: BedrockErrorContext): GatewayError {
  const { error, provider } = context;
  if (context.signal.aborted) return abortErrorFrom(context.signal, provider);
  if (GatewayError.isInstance(error)) return error;
  const aws = (error ?? {}) as AwsErrorLike;
  const name = aws.name ?? 'Error';
  const text = truncateText(
    stripBase64(redactSecrets(aws.message ?? '', context.secrets)).replace(/\s+/g, ' '),
    300,
  );
  if (name === 'CredentialsProviderError') {
    return new GatewayError(
      'CONFIGURATION_ERROR',
      `${provider}: no AWS credentials were found (${text}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or pass credentials to the provider.`,
      { provider },
    );
  }
  const status = aws.$metadata?.httpStatusCode;
  const requestId = aws.$metadata?.requestId;
  const said = text ? `: ${text}` : '.';
  const rule =
    RULES[name] ??
    (name === 'ValidationException'
      ? validationRule(text)
      : status === undefined
        ? { reason: 'upstream_unavailable' as const, message: () => `Could not reach Bedrock (${name}).` }
        : status >= 500
          ? {
              reason: 'upstream_unavailable' as const,
              message: (s: string) => `Bedrock failed (${status} ${name})${s}`,
            }
          : status === 200
            ? {
                reason: 'malformed_response' as const,
                message: () => `Bedrock's answer could not be read (${name}).`,
              }
            : {
                reason: 'upstream_rejected' as const,
                message: (s: string) => `Bedrock rejected the request (${status} ${name})${s}`,
              });
  return new BackendError(`${provider}: ${rule.message(said, context)}`, {
    reason: rule.reason,
    provider,
    ...(status === undefined ? {} : { upstreamStatus: status }),
    ...(requestId ? { upstreamRequestId: requestId } : {}),
    upstreamCode: name,
    ...(rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs }),
    ...(rule.param ? { param: rule.param } : {}),
    cause: error,
  });
}

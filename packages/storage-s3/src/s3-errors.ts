import { GatewayError } from '@pixelgate/core';
import type { StorageErrorReason } from '@pixelgate/core/spec';
import { storageError } from '@pixelgate/core/storage-utils';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

interface S3ErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
  $fault?: string;
  cause?: unknown;
}

/** Where a failure happened, for messages that name what is wrong. */
export interface S3ErrorContext {
  operation: string;
  bucket: string;
  /** Endpoint URL without credentials, when one is configured. */
  endpoint?: string;
}

/** The HTTP status an S3 error carried, if any. */
export function s3Status(error: unknown): number | undefined {
  return (error as S3ErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** True when S3 says the object is not there (GetObject's NoSuchKey, HeadObject's bare 404). */
export function isS3NotFound(error: unknown): boolean {
  const shape = error as S3ErrorShape | undefined;
  return (
    shape?.name === 'NoSuchKey' ||
    shape?.name === 'NotFound' ||
    (s3Status(error) === 404 && shape?.name !== 'NoSuchBucket')
  );
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as S3ErrorShape).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as S3ErrorShape).cause;
  }
  return undefined;
}

function classify(error: unknown, context: S3ErrorContext): [StorageErrorReason, string, boolean] {
  const shape = (error ?? {}) as S3ErrorShape;
  const status = s3Status(error);
  const name = shape.name ?? '';
  const bucket = `bucket "${context.bucket}"`;
  const network = networkCode(error);
  if (network)
    return [
      'endpoint_unreachable',
      `the endpoint ${context.endpoint ?? 'of the S3 service'} is unreachable (${network})`,
      true,
    ];
  if (name === 'TimeoutError' || name === 'RequestTimeout') {
    return [
      'endpoint_unreachable',
      `the endpoint ${context.endpoint ?? 'of the S3 service'} did not answer in time`,
      true,
    ];
  }
  if (name === 'CredentialsProviderError') {
    return [
      'credentials_missing',
      'no AWS credentials were found (pass credentials or configure the AWS default chain)',
      false,
    ];
  }
  if (/region is missing/i.test(shape.message ?? '')) {
    return ['invalid_configuration', 'no region is configured (pass region or set AWS_REGION)', false];
  }
  if (name === 'NoSuchBucket' || (status === 404 && context.operation === 'check the bucket')) {
    return ['bucket_not_found', `${bucket} does not exist`, false];
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return ['wrong_region', `${bucket} is in another region than the one configured`, false];
  }
  if (
    status === 403 ||
    name === 'AccessDenied' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'ExpiredToken' ||
    name === 'InvalidToken'
  ) {
    return [
      'access_denied',
      `access to ${bucket} was refused: check the access key, secret and the bucket policy`,
      false,
    ];
  }
  if (status !== undefined && status >= 500)
    return ['io_error', `the S3 service failed (HTTP ${status})`, true];
  if (status !== undefined)
    return [
      'io_error',
      `the S3 service refused the request (HTTP ${status}${name ? `, ${name}` : ''})`,
      false,
    ];
  return ['io_error', 'an unexpected error occurred', true];
}

/**
 * Maps whatever the AWS SDK threw to one STORAGE_ERROR whose message names what is wrong (a missing
 * bucket, refused credentials, an unreachable endpoint) and whose details carry S3's status, code
 * and request id for support tickets. Credentials never appear: the message is written here, and the
 * SDK's error is kept only as `cause`.
 */
export function toS3StorageError(error: unknown, context: S3ErrorContext): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  const [reason, text, retryable] = classify(error, context);
  const shape = (error ?? {}) as S3ErrorShape;
  const status = s3Status(error);
  return storageError(reason, `S3 storage could not ${context.operation}: ${text}.`, {
    retryable,
    status:
      reason === 'bucket_not_found' || reason === 'access_denied' || reason === 'invalid_configuration'
        ? 500
        : 503,
    cause: error,
    details: {
      adapter: 's3',
      bucket: context.bucket,
      operation: context.operation,
      ...(status === undefined ? {} : { upstreamStatus: status }),
      ...(shape.name ? { upstreamCode: shape.name } : {}),
      ...(shape.$metadata?.requestId ? { upstreamRequestId: shape.$metadata.requestId } : {}),
    },
  });
}

/** An endpoint URL safe to print: no user info, no query. */
export function printableEndpoint(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return undefined;
  }
}

import { describe, expect, it } from 'vitest';
import { isS3NotFound, printableEndpoint, toS3StorageError } from './s3-errors.ts';

const context = { operation: 'check the bucket', bucket: 'images', endpoint: 'https://s3.example.com' };

/** The shape the AWS SDK gives service errors. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${name} happened for key AKIASECRETKEY`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status, requestId: 'req-123' } }),
    ...extra,
  });
}

describe('toS3StorageError', () => {
  it.each([
    [sdkError('NoSuchBucket', 404), 'bucket_not_found', false],
    [sdkError('NotFound', 404), 'bucket_not_found', false],
    [sdkError('PermanentRedirect', 301), 'wrong_region', false],
    [sdkError('AuthorizationHeaderMalformed', 400), 'wrong_region', false],
    [sdkError('InvalidAccessKeyId', 403), 'access_denied', false],
    [sdkError('SignatureDoesNotMatch', 403), 'access_denied', false],
    [sdkError('Unknown', 403), 'access_denied', false],
    [sdkError('CredentialsProviderError'), 'credentials_missing', false],
    [Object.assign(new Error('Region is missing'), { name: 'Error' }), 'invalid_configuration', false],
    [sdkError('TimeoutError'), 'endpoint_unreachable', true],
    [Object.assign(new Error('connect'), { code: 'ENOTFOUND' }), 'endpoint_unreachable', true],
    [
      Object.assign(new Error('wrapped'), {
        cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }),
      }),
      'endpoint_unreachable',
      true,
    ],
    [sdkError('InternalError', 500), 'io_error', true],
    [sdkError('SlowDown', 503), 'io_error', true],
    [sdkError('InvalidArgument', 400), 'io_error', false],
  ])('maps %s to %s', (error, reason, retryable) => {
    const mapped = toS3StorageError(error, context);
    expect(mapped.code).toBe('STORAGE_ERROR');
    expect(mapped.details?.reason).toBe(reason);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message.startsWith('S3 storage could not check the bucket: ')).toBe(true);
    expect(mapped.message).not.toContain('AKIASECRETKEY');
    expect(JSON.stringify(mapped.toJSON())).not.toContain('AKIASECRETKEY');
    expect(mapped.cause).toBe(error);
  });

  it('keeps S3 status, code and request id for support', () => {
    expect(toS3StorageError(sdkError('InternalError', 500), context).details).toMatchObject({
      adapter: 's3',
      bucket: 'images',
      upstreamStatus: 500,
      upstreamCode: 'InternalError',
      upstreamRequestId: 'req-123',
    });
  });

  it('does not call a missing object a missing bucket outside bucket checks', () => {
    const mapped = toS3StorageError(sdkError('NotFound', 404), { ...context, operation: 'read the object' });
    expect(mapped.details?.reason).toBe('io_error');
    expect(isS3NotFound(sdkError('NoSuchKey', 404))).toBe(true);
    expect(isS3NotFound(sdkError('NoSuchBucket', 404))).toBe(false);
  });

  it('prints endpoints without credentials', () => {
    expect(printableEndpoint('https://user:pass@minio.local:9000/?x=1')).toBe('https://minio.local:9000');
    expect(printableEndpoint('not a url')).toBeUndefined();
  });
});

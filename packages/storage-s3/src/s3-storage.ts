import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { GatewayError, type StorageAdapter } from '@pixelgate/core';
import type { StoredObjectInfo } from '@pixelgate/core/spec';
import { assertSafeStoragePrefix } from '@pixelgate/core/storage-utils';
import {
  failure,
  fullKey,
  headRaw,
  isExpired,
  keysUnder,
  presignCommand,
  resolveS3Context,
  type S3Context,
  type S3StorageOptions,
} from './s3-context.ts';
import { isS3NotFound, toS3StorageError } from './s3-errors.ts';
import { getObject } from './s3-get.ts';
import { putObject } from './s3-put.ts';

export type { S3StorageCredentials, S3StorageOptions } from './s3-context.ts';

/** The S3 adapter: a {@link StorageAdapter} with every optional method, and its client. */
export interface S3Storage extends StorageAdapter {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  list(prefix: string): AsyncIterable<StoredObjectInfo>;
  presign(key: string, options: { expiresInSeconds: number; mediaType?: string }): Promise<string>;
  /** Deletes expired objects under the prefix (one HEAD per object; prefer lifecycle rules for big buckets). */
  sweepExpired(now?: Date): Promise<number>;
  verify(): Promise<void>;
}

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

async function deleteObject(context: S3Context, key: string): Promise<void> {
  try {
    await context.client.send(
      new DeleteObjectCommand({ Bucket: context.bucket, Key: fullKey(context, key) }),
    );
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    if (isS3NotFound(error)) return;
    throw failure(context, 'delete the object')(error);
  }
}

async function presign(
  context: S3Context,
  key: string,
  options: { expiresInSeconds: number; mediaType?: string },
): Promise<string> {
  fullKey(context, key); // an unsafe key is refused first
  const seconds = options.expiresInSeconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `Presigned URL lifetime must be an integer from 1 to ${MAX_PRESIGN_SECONDS} seconds.`,
      { param: 'expiresInSeconds' },
    );
  }
  try {
    return await getSignedUrl(context.client, presignCommand(context, key, seconds, options.mediaType), {
      expiresIn: seconds,
    });
  } catch (error) {
    throw failure(context, 'presign a URL')(error);
  }
}

/** HEAD of the bucket, then (unless `verifyWrite: false`) a probe object written and deleted. */
async function verifyBucket(context: S3Context): Promise<void> {
  const { client, bucket, prefix, verifyTimeoutMs } = context;
  const deadline = () => ({ abortSignal: AbortSignal.timeout(verifyTimeoutMs) });
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }), deadline());
  } catch (error) {
    throw toS3StorageError(error, {
      operation: 'check the bucket',
      bucket,
      ...(context.endpoint ? { endpoint: context.endpoint } : {}),
    });
  }
  if (context.options.verifyWrite === false) return;
  const probe = `${prefix}.pixelgate-verify/${randomBytes(8).toString('hex')}`;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: probe,
        Body: new Uint8Array(0),
        ContentLength: 0,
        ContentType: 'text/plain',
      }),
      deadline(),
    );
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }), deadline());
  } catch (error) {
    throw failure(context, 'write a probe object (check write permission)')(error);
  }
}

async function* listObjects(context: S3Context, listPrefix: string): AsyncIterable<StoredObjectInfo> {
  assertSafeStoragePrefix(listPrefix);
  for await (const key of keysUnder(context, listPrefix)) {
    const info = await headRaw(context, key);
    if (info && !isExpired(info, context.now())) yield info;
  }
}

async function sweepExpired(context: S3Context, at: Date): Promise<number> {
  let removed = 0;
  for await (const key of keysUnder(context, '')) {
    const info = await headRaw(context, key);
    if (info && isExpired(info, at)) {
      await deleteObject(context, key);
      removed++;
    }
  }
  return removed;
}

/**
 * Creates a storage adapter on Amazon S3 or an S3-compatible store (MinIO, Cloudflare R2, ...),
 * built on the AWS SDK v3: streaming multipart uploads (`@aws-sdk/lib-storage`) that are aborted
 * on failure so nothing half-written remains, ranged reads streamed to the caller, presigned GETs
 * for `presigned` delivery, and `verify()` to turn a wrong bucket, credentials or endpoint into a
 * clear STORAGE_ERROR at startup rather than a stack trace during a request.
 *
 * Object facts live in S3 itself: media type as Content-Type, metadata as `x-amz-meta-*`
 * (percent-encoded where headers cannot carry the value), expiry as `x-amz-meta-pixelgate-expires-at`,
 * and selected metadata as tags for lifecycle rules. Keys are `prefix + key`.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function createS3Storage(options: S3StorageOptions): S3Storage {
  const context = resolveS3Context(options);
  return {
    id: 's3',
    bucket: context.bucket,
    prefix: context.prefix,
    client: context.client,
    put: (key, body, putOptions) => putObject(context, key, body, putOptions),
    get: (key, getOptions) => getObject(context, key, getOptions),
    async head(key) {
      const info = await headRaw(context, key);
      return info && !isExpired(info, context.now()) ? info : null;
    },
    delete: (key) => deleteObject(context, key),
    list: (listPrefix) => listObjects(context, listPrefix),
    presign: (key, presignOptions) => presign(context, key, presignOptions),
    sweepExpired: (at = context.now()) => sweepExpired(context, at),
    verify: () => verifyBucket(context),
    async dispose() {
      if (context.ownsClient) context.client.destroy();
    },
  };
}

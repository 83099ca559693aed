import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { GatewayError } from '@pixelgate/core';
import type { StoredObjectInfo } from '@pixelgate/core/spec';
import { assertSafeStorageKey, compareKeys } from '@pixelgate/core/storage-utils';
import { isS3NotFound, printableEndpoint, toS3StorageError } from './s3-errors.ts';
import { decodeMetadataValue } from './s3-metadata.ts';

/** Explicit credentials; omit them to use the AWS default chain (environment, profile, IAM role). */
export type S3StorageCredentials = NonNullable<S3ClientConfig['credentials']>;

/** Options of {@link createS3Storage}. */
export interface S3StorageOptions {
  bucket: string;
  /** Key prefix inside the bucket (e.g. `pixelgate/`), so one bucket can serve several apps. */
  prefix?: string;
  /** AWS region; defaults to the AWS chain (`AWS_REGION`). S3-compatible stores usually accept any. */
  region?: string;
  /** Endpoint of an S3-compatible store (MinIO, R2, ...). */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by MinIO and most local stores. */
  forcePathStyle?: boolean;
  credentials?: S3StorageCredentials;
  /** A ready S3 client (shared connection pool, custom middleware); region/endpoint/credentials are then ignored. */
  client?: S3Client;
  /**
   * Extra client settings when the adapter builds the client, e.g. `{ requestChecksumCalculation:
   * 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }` for stores that do not implement
   * the SDK's default CRC checksums.
   */
  clientConfig?: S3ClientConfig;
  /** Server-side encryption of every object. */
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** KMS key for `aws:kms` (the bucket's default key when omitted). */
  kmsKeyId?: string;
  /** Storage class of every object (e.g. `STANDARD_IA`, `INTELLIGENT_TIERING`). */
  storageClass?: StorageClass | (string & {});
  /**
   * Which metadata entries are also written as object tags, for lifecycle rules and cost reports
   * (default `['tenant', 'request-id']`; `expires-at` is added when an object has an expiry).
   * `false` writes no tags, for stores that do not support tagging (Cloudflare R2).
   */
  tags?: readonly string[] | false;
  /** Metadata added to every object (e.g. `{ app: 'my-app' }`). */
  metadata?: Record<string, string>;
  /** Size of multipart upload parts (default 8 MiB; S3's minimum is 5 MiB). Memory per upload is about `partSize * queueSize`. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel per object (default 4). */
  queueSize?: number;
  /** Refuse objects larger than this (default 5 GiB). */
  maxObjectBytes?: number;
  /** `verify()` also writes and deletes a probe object (default true), proving write access. */
  verifyWrite?: boolean;
  /** Deadline of each `verify()` request (default 10 s), so a black-holed endpoint fails startup. */
  verifyTimeoutMs?: number;
  /** Clock seam for expiry checks. */
  now?: () => Date;
}

/** Metadata entry holding an object's expiry. */
export const EXPIRES_META = 'pixelgate-expires-at';
const MIN_PART_BYTES = 5 * 1024 * 1024;

/** The checked settings and the client every part of the S3 adapter shares. */
export interface S3Context {
  client: S3Client;
  /** True when the adapter built the client (so `dispose` destroys it). */
  ownsClient: boolean;
  bucket: string;
  prefix: string;
  /** The endpoint as it may be printed in messages (no credentials). */
  endpoint: string | undefined;
  partSize: number;
  queueSize: number;
  staticMetadata: Record<string, string>;
  tagNames: readonly string[];
  maxObjectBytes: number;
  verifyTimeoutMs: number;
  now: () => Date;
  options: S3StorageOptions;
}

function configurationError(message: string, param: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `S3 storage: ${message}`, { param });
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw configurationError('prefix must end with "/".', 'prefix');
  try {
    assertSafeStorageKey(prefix.slice(0, -1));
  } catch {
    throw configurationError(
      'prefix must be "/"-separated segments of letters, digits, ".", "_" or "-".',
      'prefix',
    );
  }
}

function checkEncryption(options: S3StorageOptions): void {
  if (options.kmsKeyId && options.serverSideEncryption !== 'aws:kms') {
    throw configurationError('kmsKeyId needs serverSideEncryption "aws:kms".', 'kmsKeyId');
  }
  const sse = options.serverSideEncryption;
  if (sse && sse !== 'AES256' && sse !== 'aws:kms') {
    throw configurationError('serverSideEncryption must be "AES256" or "aws:kms".', 'serverSideEncryption');
  }
}

function checkUpload(options: S3StorageOptions): { partSize: number; queueSize: number } {
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_BYTES)
    throw configurationError('partSizeBytes must be at least 5 MiB.', 'partSizeBytes');
  const queueSize = options.queueSize ?? 4;
  if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 32)
    throw configurationError('queueSize must be an integer from 1 to 32.', 'queueSize');
  return { partSize, queueSize };
}

/**
 * Checks the options (each mistake a CONFIGURATION_ERROR naming the option) and builds the
 * client unless one is given.
 */
export function resolveS3Context(options: S3StorageOptions): S3Context {
  if (typeof options?.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw configurationError(
      'bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-").',
      'bucket',
    );
  }
  const prefix = options.prefix ?? '';
  checkPrefix(prefix);
  checkEncryption(options);
  const { partSize, queueSize } = checkUpload(options);
  const staticMetadata = options.metadata ?? {};
  if (Object.keys(staticMetadata).some((name) => name.startsWith('pixelgate-'))) {
    throw configurationError('metadata names starting with "pixelgate-" are reserved.', 'metadata');
  }
  const client =
    options.client ??
    new S3Client({
      ...options.clientConfig,
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  return {
    client,
    ownsClient: !options.client,
    bucket: options.bucket,
    prefix,
    endpoint: printableEndpoint(options.endpoint),
    partSize,
    queueSize,
    staticMetadata,
    tagNames: options.tags === false ? [] : (options.tags ?? ['tenant', 'request-id']),
    maxObjectBytes: options.maxObjectBytes ?? 5 * 1024 * 1024 * 1024,
    verifyTimeoutMs: options.verifyTimeoutMs ?? 10_000,
    now: options.now ?? (() => new Date()),
    options,
  };
}

/** Maps an SDK error of `operation` to STORAGE_ERROR with the bucket and endpoint. */
export function failure(context: S3Context, operation: string): (error: unknown) => GatewayError {
  return (error) =>
    toS3StorageError(error, {
      operation,
      bucket: context.bucket,
      ...(context.endpoint ? { endpoint: context.endpoint } : {}),
    });
}

/** The object key in the bucket: the adapter prefix and a safe key. */
export function fullKey(context: S3Context, key: string): string {
  assertSafeStorageKey(key);
  return context.prefix + key;
}

/** Object facts from a HEAD or GET: metadata decoded, the expiry and the static metadata set apart. */
export function infoFrom(
  context: S3Context,
  key: string,
  output: HeadObjectCommandOutput | GetObjectCommandOutput,
  size: number,
): StoredObjectInfo {
  const metadata: Record<string, string> = {};
  let expiresAt: Date | undefined;
  for (const [name, value] of Object.entries(output.Metadata ?? {})) {
    const lower = name.toLowerCase();
    if (lower === EXPIRES_META) {
      const parsed = new Date(value);
      if (Number.isFinite(parsed.getTime())) expiresAt = parsed;
    } else if (!(lower in context.staticMetadata)) {
      metadata[lower] = decodeMetadataValue(value);
    }
  }
  return {
    key,
    size,
    mediaType: output.ContentType ?? 'application/octet-stream',
    metadata,
    ...(output.ETag ? { etag: output.ETag } : {}),
    ...(output.LastModified ? { createdAt: output.LastModified } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/** True when the object's expiry is at or before `at`. */
export function isExpired(info: StoredObjectInfo, at: Date): boolean {
  return info.expiresAt !== undefined && info.expiresAt.getTime() <= at.getTime();
}

/** HEAD of an object, expired or not; null when absent. */
export async function headRaw(context: S3Context, key: string): Promise<StoredObjectInfo | null> {
  try {
    const output = await context.client.send(
      new HeadObjectCommand({ Bucket: context.bucket, Key: fullKey(context, key) }),
    );
    return infoFrom(context, key, output, output.ContentLength ?? 0);
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    if (isS3NotFound(error)) return null;
    throw failure(context, 'read object facts')(error);
  }
}

/** Every safe key under the adapter prefix + `listPrefix`, in S3's (UTF-8 byte) order. */
export async function* keysUnder(context: S3Context, listPrefix: string): AsyncGenerator<string> {
  let continuationToken: string | undefined;
  for (let page = 0; page < 1_000_000; page++) {
    let output: ListObjectsV2CommandOutput;
    try {
      output = await context.client.send(
        new ListObjectsV2Command({
          Bucket: context.bucket,
          Prefix: context.prefix + listPrefix,
          ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
        }),
      );
    } catch (error) {
      throw failure(context, 'list objects')(error);
    }
    const keys = (output.Contents ?? []).map((item) => (item.Key ?? '').slice(context.prefix.length));
    for (const key of keys.sort(compareKeys)) {
      try {
        assertSafeStorageKey(key);
      } catch {
        continue; // Objects written by others (or verify probes) that no adapter key can name.
      }
      yield key;
    }
    if (!output.IsTruncated || !output.NextContinuationToken) return;
    continuationToken = output.NextContinuationToken;
  }
}

/** A GET request for presigning. */
export function presignCommand(
  context: S3Context,
  key: string,
  seconds: number,
  mediaType?: string,
): GetObjectCommand {
  return new GetObjectCommand({
    Bucket: context.bucket,
    Key: fullKey(context, key),
    ResponseCacheControl: `private, max-age=${seconds}`,
    ...(mediaType ? { ResponseContentType: mediaType } : {}),
  });
}

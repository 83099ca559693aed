import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertSafeStorageKey,
  assertSafeStoragePrefix,
  assertValidPut,
  type ByteRange,
  compareKeys,
  GatewayError,
  lengthMismatch,
  objectTooLarge,
  putFailure,
  resolveByteRange,
  type StorageAdapter,
  type StorageGetOptions,
  type StoragePutOptions,
  type StoredObject,
  type StoredObjectInfo,
  storageError,
  throwIfAborted,
} from '@pixelgate/core';
import { isS3NotFound, printableEndpoint, s3Status, toS3StorageError } from './s3-errors.ts';
import { decodeMetadataValue, encodeMetadataValue, encodeTagValue } from './s3-metadata.ts';

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

const EXPIRES_META = 'pixelgate-expires-at';
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const MIN_PART_BYTES = 5 * 1024 * 1024;

function configurationError(message: string, param: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `S3 storage: ${message}`, { param });
}

/** A pull-based web stream over a Node stream: reads only as fast as the consumer does. */
function webStreamOf(body: unknown, onError: (error: unknown) => GatewayError): ReadableStream<Uint8Array> {
  if (body instanceof Readable) {
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await iterator.next();
            if (done) controller.close();
            else controller.enqueue(value instanceof Uint8Array ? value : Buffer.from(value));
          } catch (error) {
            controller.error(onError(error));
          }
        },
        async cancel() {
          body.destroy();
        },
      },
      { highWaterMark: 1 },
    );
  }
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  const mixin = body as { transformToWebStream?: () => ReadableStream<Uint8Array> } | undefined;
  if (mixin?.transformToWebStream) return mixin.transformToWebStream();
  return new ReadableStream({
    start(controller) {
      controller.close();
    },
  });
}

/** Skips `skip` bytes of a stream, passes on `take` bytes, then cancels the source. */
function sliceStream(
  source: ReadableStream<Uint8Array>,
  skip: number,
  take: number,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let toSkip = skip;
  let toTake = take;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (toTake <= 0) {
            await reader.cancel().catch(() => {});
            controller.close();
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          let chunk = value;
          if (toSkip > 0) {
            const dropped = Math.min(toSkip, chunk.byteLength);
            toSkip -= dropped;
            chunk = chunk.subarray(dropped);
          }
          if (chunk.byteLength === 0) continue;
          if (chunk.byteLength > toTake) chunk = chunk.subarray(0, toTake);
          toTake -= chunk.byteLength;
          controller.enqueue(chunk);
          return;
        }
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 1 },
  );
}

function parseContentRange(header: string | undefined): { range: ByteRange; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (!match) return undefined;
  return { range: { start: Number(match[1]), end: Number(match[2]) }, total: Number(match[3]) };
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
  if (typeof options?.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw configurationError(
      'bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-").',
      'bucket',
    );
  }
  const prefix = options.prefix ?? '';
  if (prefix !== '') {
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
  if (options.kmsKeyId && options.serverSideEncryption !== 'aws:kms') {
    throw configurationError('kmsKeyId needs serverSideEncryption "aws:kms".', 'kmsKeyId');
  }
  if (
    options.serverSideEncryption &&
    options.serverSideEncryption !== 'AES256' &&
    options.serverSideEncryption !== 'aws:kms'
  ) {
    throw configurationError('serverSideEncryption must be "AES256" or "aws:kms".', 'serverSideEncryption');
  }
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_BYTES)
    throw configurationError('partSizeBytes must be at least 5 MiB.', 'partSizeBytes');
  const queueSize = options.queueSize ?? 4;
  if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 32)
    throw configurationError('queueSize must be an integer from 1 to 32.', 'queueSize');
  const staticMetadata = options.metadata ?? {};
  if (Object.keys(staticMetadata).some((name) => name.startsWith('pixelgate-'))) {
    throw configurationError('metadata names starting with "pixelgate-" are reserved.', 'metadata');
  }
  const tagNames = options.tags === false ? [] : (options.tags ?? ['tenant', 'request-id']);
  const maxObjectBytes = options.maxObjectBytes ?? 5 * 1024 * 1024 * 1024;
  const verifyTimeoutMs = options.verifyTimeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const bucket = options.bucket;
  const endpoint = printableEndpoint(options.endpoint);

  const client =
    options.client ??
    new S3Client({
      ...options.clientConfig,
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });

  const fail = (operation: string) => (error: unknown) =>
    toS3StorageError(error, { operation, bucket, ...(endpoint ? { endpoint } : {}) });
  const fullKey = (key: string) => {
    assertSafeStorageKey(key);
    return prefix + key;
  };

  const infoFrom = (
    key: string,
    output: HeadObjectCommandOutput | GetObjectCommandOutput,
    size: number,
  ): StoredObjectInfo => {
    const metadata: Record<string, string> = {};
    let expiresAt: Date | undefined;
    for (const [name, value] of Object.entries(output.Metadata ?? {})) {
      const lower = name.toLowerCase();
      if (lower === EXPIRES_META) {
        const parsed = new Date(value);
        if (Number.isFinite(parsed.getTime())) expiresAt = parsed;
      } else if (!(lower in staticMetadata)) {
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
  };

  const isExpired = (info: StoredObjectInfo, at: Date = now()) =>
    info.expiresAt !== undefined && info.expiresAt.getTime() <= at.getTime();

  const headRaw = async (key: string): Promise<StoredObjectInfo | null> => {
    try {
      const output = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
      return infoFrom(key, output, output.ContentLength ?? 0);
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      if (isS3NotFound(error)) return null;
      throw fail('read object facts')(error);
    }
  };

  /** Every safe key under the adapter prefix + `listPrefix`, in S3's (UTF-8 byte) order. */
  async function* keysUnder(listPrefix: string): AsyncGenerator<string> {
    let continuationToken: string | undefined;
    for (let page = 0; page < 1_000_000; page++) {
      let output: ListObjectsV2CommandOutput;
      try {
        output = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix + listPrefix,
            ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          }),
        );
      } catch (error) {
        throw fail('list objects')(error);
      }
      const keys = (output.Contents ?? []).map((item) => (item.Key ?? '').slice(prefix.length));
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

  const adapter: S3Storage = {
    id: 's3',
    bucket,
    prefix,
    client,

    async put(
      key: string,
      body: Uint8Array | ReadableStream<Uint8Array>,
      putOptions: StoragePutOptions,
    ): Promise<StoredObjectInfo> {
      assertValidPut(key, putOptions);
      const { signal } = putOptions;
      throwIfAborted(signal);
      const userMetadata = putOptions.metadata ?? {};
      const reserved = Object.keys(userMetadata).find(
        (name) => name.startsWith('pixelgate-') || name in staticMetadata,
      );
      if (reserved) {
        throw storageError(
          'invalid_metadata',
          `Refused storage metadata "${reserved}": the name is reserved by the S3 adapter configuration.`,
          {
            status: 400,
            retryable: false,
          },
        );
      }
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries({ ...staticMetadata, ...userMetadata }))
        metadata[name] = encodeMetadataValue(value);
      if (putOptions.expiresAt) metadata[EXPIRES_META] = putOptions.expiresAt.toISOString();
      const tags = new URLSearchParams();
      for (const name of tagNames) {
        const value = userMetadata[name];
        if (value !== undefined) tags.append(name, encodeTagValue(value));
      }
      if (putOptions.expiresAt && tagNames.length > 0)
        tags.append('expires-at', putOptions.expiresAt.toISOString());

      let size = 0;
      let sourceFailed = false;
      let source: Buffer | Readable;
      if (body instanceof Uint8Array) {
        if (body.byteLength > maxObjectBytes) throw objectTooLarge(maxObjectBytes);
        if (putOptions.contentLength !== undefined && putOptions.contentLength !== body.byteLength) {
          throw lengthMismatch(putOptions.contentLength, body.byteLength);
        }
        size = body.byteLength;
        source = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      } else {
        const reader = body.getReader();
        source = Readable.from(
          (async function* () {
            try {
              for (;;) {
                let result: ReadableStreamReadResult<Uint8Array>;
                try {
                  result = await reader.read();
                } catch (error) {
                  sourceFailed = true;
                  throw error;
                }
                if (result.done) break;
                size += result.value.byteLength;
                if (size > maxObjectBytes) throw objectTooLarge(maxObjectBytes);
                yield Buffer.from(result.value.buffer, result.value.byteOffset, result.value.byteLength);
              }
              // Checked before the last part is sent, so a wrong length never completes an upload.
              if (putOptions.contentLength !== undefined && putOptions.contentLength !== size) {
                throw lengthMismatch(putOptions.contentLength, size);
              }
            } catch (error) {
              await reader.cancel(error).catch(() => {});
              throw error;
            } finally {
              reader.releaseLock();
            }
          })(),
          { objectMode: false },
        );
      }

      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const upload = new Upload({
        client,
        queueSize,
        partSize,
        leavePartsOnError: false,
        abortController: controller,
        params: {
          Bucket: bucket,
          Key: fullKey(key),
          Body: source,
          ContentType: putOptions.mediaType,
          Metadata: metadata,
          ...(tags.size > 0 ? { Tagging: tags.toString() } : {}),
          ...(options.serverSideEncryption ? { ServerSideEncryption: options.serverSideEncryption } : {}),
          ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
          ...(options.storageClass ? { StorageClass: options.storageClass as StorageClass } : {}),
        },
      });
      let etag: string | undefined;
      try {
        const result = await upload.done();
        etag = result.ETag;
      } catch (error) {
        if (source instanceof Readable) source.destroy();
        const cause = (error as { cause?: unknown })?.cause;
        const own = [error, cause].find((candidate) => GatewayError.isInstance(candidate));
        if (own) throw own;
        if (sourceFailed || signal?.aborted) throw putFailure(error, signal, 's3');
        throw fail('store the object')(error);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (!etag) etag = (await headRaw(key))?.etag;
      return {
        key,
        size,
        mediaType: putOptions.mediaType,
        metadata: { ...userMetadata },
        ...(etag ? { etag } : {}),
        createdAt: now(),
        ...(putOptions.expiresAt ? { expiresAt: new Date(putOptions.expiresAt.getTime()) } : {}),
      };
    },

    async get(key: string, getOptions?: StorageGetOptions): Promise<StoredObject | null> {
      const Key = fullKey(key);
      const requested = getOptions?.range;
      if (requested) resolveByteRange(requested, Number.MAX_SAFE_INTEGER); // shape check; size is checked by S3
      let output: GetObjectCommandOutput;
      try {
        output = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key,
            ...(requested ? { Range: `bytes=${requested.start}-${requested.end}` } : {}),
          }),
        );
      } catch (error) {
        if (isS3NotFound(error)) return null;
        if (s3Status(error) === 416) {
          const size = (await headRaw(key))?.size;
          if (size === undefined) return null;
          throw storageError(
            'range_not_satisfiable',
            `The requested byte range is not satisfiable for an object of ${size} bytes.`,
            {
              status: 416,
              retryable: false,
              details: { size },
            },
          );
        }
        throw fail('read the object')(error);
      }
      const contentRange = parseContentRange(output.ContentRange);
      const size = contentRange?.total ?? output.ContentLength ?? 0;
      const info = infoFrom(key, output, size);
      const body = webStreamOf(output.Body, fail('read the object'));
      if (isExpired(info)) {
        await body.cancel().catch(() => {});
        return null;
      }
      if (requested) {
        let expected: ByteRange;
        try {
          expected = resolveByteRange(requested, size);
        } catch (error) {
          await body.cancel().catch(() => {});
          throw error;
        }
        // Some S3-compatible stores ignore a range or serve a wider one (s3rver reads `bytes=0-0`
        // as `bytes=0-`): trim what they sent to exactly the bytes asked for.
        const served = contentRange?.range ?? { start: 0, end: size - 1 };
        if (served.start > expected.start || served.end < expected.end) {
          await body.cancel().catch(() => {});
          throw storageError(
            'io_error',
            'S3 storage could not read the object: the store served a different byte range than requested.',
            {
              details: { adapter: 's3', bucket },
            },
          );
        }
        const trimmed =
          served.start === expected.start && served.end === expected.end
            ? body
            : sliceStream(body, expected.start - served.start, expected.end - expected.start + 1);
        return { info, body: trimmed, range: expected };
      }
      return { info, body };
    },

    async head(key: string): Promise<StoredObjectInfo | null> {
      const info = await headRaw(key);
      return info && !isExpired(info) ? info : null;
    },

    async delete(key: string): Promise<void> {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
      } catch (error) {
        if (GatewayError.isInstance(error)) throw error;
        if (isS3NotFound(error)) return;
        throw fail('delete the object')(error);
      }
    },

    async *list(listPrefix: string): AsyncIterable<StoredObjectInfo> {
      assertSafeStoragePrefix(listPrefix);
      for await (const key of keysUnder(listPrefix)) {
        const info = await adapter.head(key);
        if (info) yield info;
      }
    },

    async presign(
      key: string,
      presignOptions: { expiresInSeconds: number; mediaType?: string },
    ): Promise<string> {
      const Key = fullKey(key);
      const seconds = presignOptions.expiresInSeconds;
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `Presigned URL lifetime must be an integer from 1 to ${MAX_PRESIGN_SECONDS} seconds.`,
          {
            param: 'expiresInSeconds',
          },
        );
      }
      try {
        return await getSignedUrl(
          client,
          new GetObjectCommand({
            Bucket: bucket,
            Key,
            ResponseCacheControl: `private, max-age=${seconds}`,
            ...(presignOptions.mediaType ? { ResponseContentType: presignOptions.mediaType } : {}),
          }),
          { expiresIn: seconds },
        );
      } catch (error) {
        throw fail('presign a URL')(error);
      }
    },

    async sweepExpired(at: Date = now()): Promise<number> {
      let removed = 0;
      for await (const key of keysUnder('')) {
        const info = await headRaw(key);
        if (info && isExpired(info, at)) {
          await adapter.delete(key);
          removed++;
        }
      }
      return removed;
    },

    async verify(): Promise<void> {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), {
          abortSignal: AbortSignal.timeout(verifyTimeoutMs),
        });
      } catch (error) {
        throw toS3StorageError(error, {
          operation: 'check the bucket',
          bucket,
          ...(endpoint ? { endpoint } : {}),
        });
      }
      if (options.verifyWrite === false) return;
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
          {
            abortSignal: AbortSignal.timeout(verifyTimeoutMs),
          },
        );
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }), {
          abortSignal: AbortSignal.timeout(verifyTimeoutMs),
        });
      } catch (error) {
        throw fail('write a probe object (check write permission)')(error);
      }
    },

    async dispose(): Promise<void> {
      if (!options.client) client.destroy();
    },
  };
  return adapter;
}

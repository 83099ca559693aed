import { Readable } from 'node:stream';
import type { StorageClass } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GatewayError } from '@pixelgate/core';
import { throwIfAborted } from '@pixelgate/core/provider-utils';
import type { StoragePutOptions, StoredObjectInfo } from '@pixelgate/core/spec';
import {
  assertValidPut,
  lengthMismatch,
  objectTooLarge,
  putFailure,
  storageError,
} from '@pixelgate/core/storage-utils';
import { EXPIRES_META, failure, fullKey, headRaw, type S3Context } from './s3-context.ts';
import { encodeMetadataValue, encodeTagValue } from './s3-metadata.ts';

/** The object's `x-amz-meta-*` headers and tags; refuses names the adapter reserves. */
function metadataAndTags(
  context: S3Context,
  options: StoragePutOptions,
): { metadata: Record<string, string>; tags: URLSearchParams } {
  const userMetadata = options.metadata ?? {};
  const reserved = Object.keys(userMetadata).find(
    (name) => name.startsWith('pixelgate-') || name in context.staticMetadata,
  );
  if (reserved) {
    throw storageError(
      'invalid_metadata',
      `Refused storage metadata "${reserved}": the name is reserved by the S3 adapter configuration.`,
      { status: 400, retryable: false },
    );
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...context.staticMetadata, ...userMetadata }))
    metadata[name] = encodeMetadataValue(value);
  if (options.expiresAt) metadata[EXPIRES_META] = options.expiresAt.toISOString();
  const tags = new URLSearchParams();
  for (const name of context.tagNames) {
    const value = userMetadata[name];
    if (value !== undefined) tags.append(name, encodeTagValue(value));
  }
  if (options.expiresAt && context.tagNames.length > 0)
    tags.append('expires-at', options.expiresAt.toISOString());
  return { metadata, tags };
}

/** The upload body, with its size (final once the upload is done) and whether the caller's stream failed. */
interface UploadSource {
  body: Buffer | Readable;
  size(): number;
  sourceFailed(): boolean;
}

/**
 * Bytes are wrapped without a copy; a stream is read as the upload pulls it, counted against
 * `maxObjectBytes`, and its length checked before the last part is sent, so a wrong length never
 * completes an upload.
 */
function uploadSource(
  context: S3Context,
  body: Uint8Array | ReadableStream<Uint8Array>,
  options: StoragePutOptions,
): UploadSource {
  if (body instanceof Uint8Array) {
    if (body.byteLength > context.maxObjectBytes) throw objectTooLarge(context.maxObjectBytes);
    if (options.contentLength !== undefined && options.contentLength !== body.byteLength) {
      throw lengthMismatch(options.contentLength, body.byteLength);
    }
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { body: bytes, size: () => body.byteLength, sourceFailed: () => false };
  }
  let size = 0;
  let sourceFailed = false;
  const reader = body.getReader();
  const chunks = async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const result = await reader.read().catch((error: unknown) => {
          sourceFailed = true;
          throw error;
        });
        if (result.done) break;
        size += result.value.byteLength;
        if (size > context.maxObjectBytes) throw objectTooLarge(context.maxObjectBytes);
        yield Buffer.from(result.value.buffer, result.value.byteOffset, result.value.byteLength);
      }
      if (options.contentLength !== undefined && options.contentLength !== size) {
        throw lengthMismatch(options.contentLength, size);
      }
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      reader.releaseLock();
    }
  };
  return {
    body: Readable.from(chunks(), { objectMode: false }),
    size: () => size,
    sourceFailed: () => sourceFailed,
  };
}

/** Runs the (multipart if large) upload, aborted with the caller's signal; returns the ETag. */
async function upload(
  context: S3Context,
  key: string,
  source: UploadSource,
  options: StoragePutOptions,
  { metadata, tags }: ReturnType<typeof metadataAndTags>,
): Promise<string | undefined> {
  const { signal } = options;
  const { serverSideEncryption, kmsKeyId, storageClass } = context.options;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const task = new Upload({
    client: context.client,
    queueSize: context.queueSize,
    partSize: context.partSize,
    leavePartsOnError: false,
    abortController: controller,
    params: {
      Bucket: context.bucket,
      Key: fullKey(context, key),
      Body: source.body,
      ContentType: options.mediaType,
      Metadata: metadata,
      ...(tags.size > 0 ? { Tagging: tags.toString() } : {}),
      ...(serverSideEncryption ? { ServerSideEncryption: serverSideEncryption } : {}),
      ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
      ...(storageClass ? { StorageClass: storageClass as StorageClass } : {}),
    },
  });
  try {
    return (await task.done()).ETag;
  } catch (error) {
    if (source.body instanceof Readable) source.body.destroy();
    const cause = (error as { cause?: unknown })?.cause;
    const own = [error, cause].find((candidate) => GatewayError.isInstance(candidate));
    if (own) throw own;
    if (source.sourceFailed() || signal?.aborted) throw putFailure(error, signal, 's3');
    throw failure(context, 'store the object')(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Stores an object with a streaming (multipart when large) upload that is aborted on failure, so
 * nothing half-written remains; object facts go into S3 metadata and tags.
 */
export async function putObject(
  context: S3Context,
  key: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  options: StoragePutOptions,
): Promise<StoredObjectInfo> {
  assertValidPut(key, options);
  throwIfAborted(options.signal);
  const headers = metadataAndTags(context, options); // refuses reserved names before any byte is read
  const source = uploadSource(context, body, options);
  const etag = (await upload(context, key, source, options, headers)) ?? (await headRaw(context, key))?.etag;
  return {
    key,
    size: source.size(),
    mediaType: options.mediaType,
    metadata: { ...options.metadata },
    ...(etag ? { etag } : {}),
    createdAt: context.now(),
    ...(options.expiresAt ? { expiresAt: new Date(options.expiresAt.getTime()) } : {}),
  };
}

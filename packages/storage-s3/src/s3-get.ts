import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { ByteRange, StorageGetOptions, StoredObject } from '@pixelgate/core/spec';
import { resolveByteRange, storageError } from '@pixelgate/core/storage-utils';
import { failure, fullKey, headRaw, infoFrom, isExpired, type S3Context } from './s3-context.ts';
import { isS3NotFound, s3Status } from './s3-errors.ts';
import { parseContentRange, sliceStream, webStreamOf } from './s3-streams.ts';

/** A 416 from S3: null when the object is gone, else RANGE_NOT_SATISFIABLE with its size. */
async function unsatisfiable(context: S3Context, key: string): Promise<null> {
  const size = (await headRaw(context, key))?.size;
  if (size === undefined) return null;
  throw storageError(
    'range_not_satisfiable',
    `The requested byte range is not satisfiable for an object of ${size} bytes.`,
    { status: 416, retryable: false, details: { size } },
  );
}

/**
 * Exactly the bytes asked for: some S3-compatible stores ignore a range or serve a wider one
 * (s3rver reads `bytes=0-0` as `bytes=0-`), so what they sent is trimmed; a narrower one fails.
 */
async function trimToRange(
  context: S3Context,
  body: ReadableStream<Uint8Array>,
  requested: ByteRange,
  served: ByteRange | undefined,
  size: number,
): Promise<{ body: ReadableStream<Uint8Array>; range: ByteRange }> {
  let expected: ByteRange;
  try {
    expected = resolveByteRange(requested, size);
  } catch (error) {
    await body.cancel().catch(() => {});
    throw error;
  }
  const got = served ?? { start: 0, end: size - 1 };
  if (got.start > expected.start || got.end < expected.end) {
    await body.cancel().catch(() => {});
    throw storageError(
      'io_error',
      'S3 storage could not read the object: the store served a different byte range than requested.',
      { details: { adapter: 's3', bucket: context.bucket } },
    );
  }
  const exact = got.start === expected.start && got.end === expected.end;
  return {
    body: exact ? body : sliceStream(body, expected.start - got.start, expected.end - expected.start + 1),
    range: expected,
  };
}

/** Streams an object (or a range of it) to the caller; null when absent or expired. */
export async function getObject(
  context: S3Context,
  key: string,
  options: StorageGetOptions | undefined,
): Promise<StoredObject | null> {
  const Key = fullKey(context, key);
  const requested = options?.range;
  if (requested) resolveByteRange(requested, Number.MAX_SAFE_INTEGER); // shape check; size is checked by S3
  let output: GetObjectCommandOutput;
  try {
    output = await context.client.send(
      new GetObjectCommand({
        Bucket: context.bucket,
        Key,
        ...(requested ? { Range: `bytes=${requested.start}-${requested.end}` } : {}),
      }),
    );
  } catch (error) {
    if (isS3NotFound(error)) return null;
    if (s3Status(error) === 416) return unsatisfiable(context, key);
    throw failure(context, 'read the object')(error);
  }
  const contentRange = parseContentRange(output.ContentRange);
  const size = contentRange?.total ?? output.ContentLength ?? 0;
  const info = infoFrom(context, key, output, size);
  const body = webStreamOf(output.Body, failure(context, 'read the object'));
  if (isExpired(info, context.now())) {
    await body.cancel().catch(() => {});
    return null;
  }
  if (!requested) return { info, body };
  return { info, ...(await trimToRange(context, body, requested, contentRange?.range, size)) };
}

import { GatewayError } from '../errors/gateway-error.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import type { ByteRange, StorageErrorReason, StoragePutOptions } from './storage-adapter.ts';
import { assertSafeStorageKey, assertStorageMediaType, assertStorageMetadata } from './storage-key.ts';

/**
 * Builds a STORAGE_ERROR with a machine-readable reason. Adapters use it so that every store
 * fails the same way; the message never carries bytes, credentials or server paths.
 */
export function storageError(
  reason: StorageErrorReason,
  message: string,
  options: { status?: number; retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
): GatewayError {
  return new GatewayError('STORAGE_ERROR', message, {
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: { reason, ...options.details },
  });
}

/** Validates what every adapter's `put` must check before touching the store. */
export function assertValidPut(key: string, options: StoragePutOptions): void {
  assertSafeStorageKey(key);
  assertStorageMediaType(options.mediaType);
  assertStorageMetadata(options.metadata);
  if (
    options.contentLength !== undefined &&
    (!Number.isSafeInteger(options.contentLength) || options.contentLength < 0)
  ) {
    throw new GatewayError('STORAGE_ERROR', 'Refused a put: contentLength must be a non-negative integer.', {
      status: 400,
      retryable: false,
      param: 'contentLength',
      details: { reason: 'length_mismatch' },
    });
  }
  if (
    options.expiresAt !== undefined &&
    !(options.expiresAt instanceof Date && Number.isFinite(options.expiresAt.getTime()))
  ) {
    throw new GatewayError('STORAGE_ERROR', 'Refused a put: expiresAt must be a valid Date.', {
      status: 400,
      retryable: false,
      param: 'expiresAt',
      details: { reason: 'invalid_metadata' },
    });
  }
}

/**
 * Resolves a requested range against an object's size the way HTTP does: the end is capped at the
 * last byte; a start at or past the end of the object is unsatisfiable (416).
 */
export function resolveByteRange(range: ByteRange, size: number): ByteRange {
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    start >= size
  ) {
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
  return { start, end: Math.min(end, size - 1) };
}

/** Refuses a body longer or shorter than the declared contentLength. */
export function lengthMismatch(expected: number, actual: number): GatewayError {
  return storageError(
    'length_mismatch',
    `The stored body had ${actual} bytes but contentLength said ${expected}.`,
    {
      status: 400,
      retryable: false,
    },
  );
}

/** The error for a body larger than an adapter accepts. */
export function objectTooLarge(max: number): GatewayError {
  return storageError('object_too_large', `The object is larger than this store accepts (${max} bytes).`, {
    status: 413,
    retryable: false,
  });
}

/**
 * Turns whatever a failed put threw into the error the caller sees: our own errors pass through,
 * a fired signal becomes ABORTED/TIMEOUT, anything else (the source stream failed) STORAGE_ERROR.
 */
export function putFailure(error: unknown, signal: AbortSignal | undefined, adapter: string): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  if (signal?.aborted) return abortErrorFrom(signal);
  return storageError(
    'source_failed',
    `The ${adapter} storage put failed: the body stream ended with an error.`,
    {
      retryable: false,
      cause: error,
    },
  );
}

/** A one-chunk web stream over bytes already in memory. */
export function streamOfBytes(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Formats a hex digest as the quoted strong ETag every adapter reports. */
export function quoteEtag(hex: string): string {
  return `"${hex}"`;
}

/** Compares keys in UTF-8 byte order, the order S3 lists in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

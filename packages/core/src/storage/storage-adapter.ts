/** Facts stored with an object. Keys and metadata are gateway-generated, never raw user input. */
export interface StoredObjectInfo {
  key: string;
  /** Size in bytes. */
  size: number;
  mediaType: string;
  /** Small string metadata (tenant, request id, sha256, expiry). */
  metadata: Record<string, string>;
  /** Strong validator for HTTP caching (quoted). */
  etag?: string;
  createdAt?: Date;
  /** When the object may be swept. */
  expiresAt?: Date;
}

/** What `put` needs besides the bytes. */
export interface StoragePutOptions {
  mediaType: string;
  metadata?: Record<string, string>;
  /** Known length of a streamed body (lets adapters avoid buffering). */
  contentLength?: number;
  expiresAt?: Date;
  signal?: AbortSignal;
  /**
   * SHA-256 (hex) of the bytes when the caller already computed it (the pipeline does, for the
   * audit record); adapters use it for the ETag instead of hashing the object a second time.
   */
  sha256?: string;
}

/**
 * A byte range, inclusive at both ends, as HTTP Range requests give it. Adapters serve
 * `start..min(end, size - 1)` and report the range actually served; a `start` at or beyond the
 * object's size (or `end < start`) is a STORAGE_ERROR with status 416 and reason
 * `range_not_satisfiable`.
 */
export interface ByteRange {
  start: number;
  end: number;
}

/** Options of {@link StorageAdapter.get}. */
export interface StorageGetOptions {
  /** Serve only these bytes. */
  range?: ByteRange;
}

/**
 * Why a storage operation failed, in `GatewayError.details.reason` of a STORAGE_ERROR, so callers
 * and audit records can tell a full disk from a refused key without parsing messages.
 */
export type StorageErrorReason =
  | 'unsafe_key'
  | 'invalid_metadata'
  | 'invalid_media_type'
  | 'range_not_satisfiable'
  | 'object_too_large'
  | 'object_expired'
  | 'length_mismatch'
  | 'source_failed'
  | 'disk_full'
  | 'permission_denied'
  | 'key_conflict'
  | 'bucket_not_found'
  | 'access_denied'
  | 'endpoint_unreachable'
  | 'credentials_missing'
  | 'wrong_region'
  | 'invalid_configuration'
  | 'io_error';

/** An object being read: its facts and a stream of its bytes (or of the requested range). */
export interface StoredObject {
  info: StoredObjectInfo;
  body: ReadableStream<Uint8Array>;
  /** The range served, when one was asked for. */
  range?: ByteRange;
}

/**
 * Where images live. Core ships memory and filesystem adapters; `@pixelgate/storage-s3` adds S3.
 * Every adapter passes the storage conformance kit in `@pixelgate/core/testing`.
 *
 * The contract every adapter keeps:
 * - keys pass {@link assertSafeStorageKey} (checked by every method, before any I/O);
 * - metadata passes `assertStorageMetadata` and comes back exactly as given;
 * - a put either fully succeeds or leaves the previous state (nothing, or the old object) intact;
 *   a failed put rejects with STORAGE_ERROR (or ABORTED/TIMEOUT when its signal fired);
 * - expired objects (`expiresAt` in the past) are invisible to get, head and list;
 * - list yields keys in ascending order (UTF-8 byte order, as S3 does).
 */
export interface StorageAdapter {
  /** Adapter id for logs and audit records (`memory`, `filesystem`, `s3`). */
  readonly id: string;
  /**
   * Stores bytes or a stream under a key. Must not leave a partial object visible on failure.
   * A `Uint8Array` body is handed over: the adapter may keep it as it is (the memory adapter
   * does, to avoid copying every image), so the caller must not change it after `put`; a caller
   * that reuses its buffer passes a copy. Bytes read back through `get` are the caller's own.
   */
  put(
    key: string,
    body: Uint8Array | ReadableStream<Uint8Array>,
    options: StoragePutOptions,
  ): Promise<StoredObjectInfo>;
  /** Streams an object (or a range of it); null when absent or expired. */
  get(key: string, options?: StorageGetOptions): Promise<StoredObject | null>;
  /** Facts about an object; null when absent or expired. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Removes an object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Lists objects under a prefix. */
  list?(prefix: string): AsyncIterable<StoredObjectInfo>;
  /** A URL the store itself serves, valid for `expiresInSeconds` (S3 presigned GET). */
  presign?(key: string, options: { expiresInSeconds: number; mediaType?: string }): Promise<string>;
  /** Deletes expired objects; returns how many. */
  sweepExpired?(now?: Date): Promise<number>;
  /** Checks the store is reachable and writable at startup. */
  verify?(): Promise<void>;
  /** Releases resources. */
  dispose?(): Promise<void>;
}

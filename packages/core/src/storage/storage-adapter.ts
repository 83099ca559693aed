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
}

/** A byte range, inclusive at both ends, as HTTP Range requests give it. */
export interface ByteRange {
  start: number;
  end: number;
}

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
 */
export interface StorageAdapter {
  /** Adapter id for logs and audit records (`memory`, `filesystem`, `s3`). */
  readonly id: string;
  /** Stores bytes or a stream under a key. Must not leave a partial object visible on failure. */
  put(key: string, body: Uint8Array | ReadableStream<Uint8Array>, options: StoragePutOptions): Promise<StoredObjectInfo>;
  /** Streams an object (or a range of it); null when absent or expired. */
  get(key: string, options?: { range?: ByteRange }): Promise<StoredObject | null>;
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

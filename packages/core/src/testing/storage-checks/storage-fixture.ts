import type { StorageAdapter } from '../../storage/storage-adapter.ts';

/** Optional behaviour an adapter declares; each flag switches a group of checks on. */
export interface StorageConformanceCapabilities {
  /** `presign` returns URLs the kit fetches for real. */
  presign?: boolean;
  /** `list` by prefix. */
  list?: boolean;
  /** Expired objects are hidden; `sweepExpired` (when present) removes them. */
  expiry?: boolean;
  /** Objects of tens of megabytes (the kit streams 24 MiB). Several-MB objects are always tested. */
  largeObjects?: boolean;
  /**
   * Concurrent puts of one key settle on one complete body (default true). Every adapter promises
   * it; set false only for a test backend that cannot keep it (s3rver writes an object's bytes and
   * metadata as two files, so racing writers can interleave them).
   */
  concurrentOverwrite?: boolean;
}

/** What each storage check gets: the running test's fresh adapter and its random key prefix. */
export interface StorageFixture {
  adapter: StorageAdapter;
  /** `conformance/<uuid>/`: every key of the test starts with it, so a shared bucket is safe. */
  prefix: string;
  /** The test's key for a name (`key('a.png')` is `<prefix>a.png`). */
  key(name: string): string;
  capabilities: StorageConformanceCapabilities;
}

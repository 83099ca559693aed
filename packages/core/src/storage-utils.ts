/**
 * `@pixelgate/core/storage-utils`: what storage-adapter authors use so that every adapter refuses
 * the same unsafe keys, answers ranges the same way and reports failures with the same errors.
 * @packageDocumentation
 */
export type {
  ByteRange,
  StorageAdapter,
  StorageErrorReason,
  StorageGetOptions,
  StoragePutOptions,
  StoredObject,
  StoredObjectInfo,
} from './storage/storage-adapter.ts';
export {
  assertSafeStorageKey,
  assertSafeStoragePrefix,
  assertStorageMediaType,
  assertStorageMetadata,
} from './storage/storage-key.ts';
export {
  assertValidPut,
  compareKeys,
  lengthMismatch,
  objectTooLarge,
  putFailure,
  quoteEtag,
  resolveByteRange,
  storageError,
  streamOfBytes,
} from './storage/storage-support.ts';

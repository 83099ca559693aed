/**
 * @pixelgate/storage-s3: S3 and S3-compatible storage for pixelgate.
 * @packageDocumentation
 */

export { type S3ErrorContext, toS3StorageError } from './s3-errors.ts';
export {
  createS3Storage,
  type S3Storage,
  type S3StorageCredentials,
  type S3StorageOptions,
} from './s3-storage.ts';

import { GatewayError } from '../errors/gateway-error.ts';

/** One key segment: starts with a letter or digit, then letters, digits, `.`, `_`, `-` (Unicode letters allowed). */
const SEGMENT = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}._-]*$/u;
const MAX_KEY_LENGTH = 512;
const MAX_SEGMENT_BYTES = 255;

function unsafeKey(reason: string): GatewayError {
  return new GatewayError('STORAGE_ERROR', `Refused an unsafe storage key: ${reason}.`, {
    status: 400,
    retryable: false,
    details: { reason: 'unsafe_key' },
  });
}

/**
 * Refuses any key that could escape an adapter's root or confuse a store: absolute paths, `..`
 * and `.` segments, backslashes, control characters, empty segments, keys over 512 characters,
 * segments over 255 UTF-8 bytes (a filesystem name limit) and keys not in Unicode NFC (two
 * spellings of one name must not become two objects on one store and one file on another). The
 * gateway only ever generates keys that pass; this guards adapters against callers that do not.
 * Unicode letters are accepted so that prefix listing behaves the same on every adapter.
 */
export function assertSafeStorageKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw unsafeKey('it is empty');
  if (key.length > MAX_KEY_LENGTH) throw unsafeKey(`it is longer than ${MAX_KEY_LENGTH} characters`);
  if (key.normalize('NFC') !== key) throw unsafeKey('it is not in Unicode NFC form');
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw unsafeKey(
        'each "/"-separated segment must start with a letter or digit and contain only letters, digits, ".", "_" or "-"',
      );
    }
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw unsafeKey(`a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}

/**
 * Refuses a listing prefix that no safe key could start with in a way that escapes the root: it
 * must be empty or a prefix of some safe key (no `..`, no leading `/`, no backslash or control
 * characters). A trailing partial segment (`images/ab`) is allowed, as on S3.
 */
export function assertSafeStoragePrefix(prefix: string): void {
  if (prefix === '') return;
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH || prefix.normalize('NFC') !== prefix) {
    throw unsafeKey('the listing prefix is not a valid key prefix');
  }
  const segments = prefix.split('/');
  const last = segments.pop() ?? '';
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw unsafeKey('the listing prefix is not a valid key prefix');
  }
  if (last !== '' && !SEGMENT.test(last)) throw unsafeKey('the listing prefix is not a valid key prefix');
}

const METADATA_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_METADATA_BYTES = 2048;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * Checks the metadata every adapter must be able to keep: lowercase keys of letters, digits and
 * `-` (S3 lowercases metadata names, so mixed case would not round-trip), string values without
 * control characters, at most 2 KiB in total (the S3 user-metadata limit).
 */
export function assertStorageMetadata(metadata: Record<string, string> | undefined): void {
  if (metadata === undefined) return;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(name)) {
      throw new GatewayError(
        'STORAGE_ERROR',
        `Refused storage metadata name "${name.slice(0, 64)}": use 1-64 lowercase letters, digits or "-".`,
        {
          status: 400,
          retryable: false,
          param: `metadata.${name.slice(0, 64)}`,
          details: { reason: 'invalid_metadata' },
        },
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
    if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new GatewayError(
        'STORAGE_ERROR',
        `Refused storage metadata "${name}": values must be strings without control characters.`,
        {
          status: 400,
          retryable: false,
          param: `metadata.${name}`,
          details: { reason: 'invalid_metadata' },
        },
      );
    }
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (total > MAX_METADATA_BYTES) {
    throw new GatewayError(
      'STORAGE_ERROR',
      `Refused storage metadata: at most ${MAX_METADATA_BYTES} bytes in total.`,
      {
        status: 400,
        retryable: false,
        param: 'metadata',
        details: { reason: 'invalid_metadata' },
      },
    );
  }
}

/** Checks a media type looks like `type/subtype` (lowercase, no parameters), as every store keeps it. */
export function assertStorageMediaType(mediaType: string): void {
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw new GatewayError(
      'STORAGE_ERROR',
      'Refused a storage media type: use a lowercase "type/subtype" without parameters.',
      {
        status: 400,
        retryable: false,
        param: 'mediaType',
        details: { reason: 'invalid_media_type' },
      },
    );
  }
}

/**
 * S3 keeps user metadata in HTTP headers, which carry only printable ASCII and lose surrounding
 * spaces. Values that would not survive (non-ASCII, `%`, edge spaces) are percent-encoded; since
 * `%` itself is always encoded, decoding is exact. Values another writer stored unencoded and
 * that merely contain `%` decode best-effort.
 */
export function encodeMetadataValue(value: string): string {
  return /[^\u0020-\u007e]|%/.test(value) || value !== value.trim() ? encodeURIComponent(value) : value;
}

/** Reverses {@link encodeMetadataValue}. */
export function decodeMetadataValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Characters S3 accepts in tag values (letters, digits, spaces and `+ - = . _ : / @`). */
const TAG_VALUE = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]{0,256}$/u;

/**
 * A tag value S3 will accept. Values with other characters are stored as `b64:` + base64url of the
 * UTF-8 value, which a lifecycle rule can still match exactly; the metadata keeps the raw value.
 */
export function encodeTagValue(value: string): string {
  return TAG_VALUE.test(value)
    ? value
    : `b64:${Buffer.from(value, 'utf8').toString('base64url')}`.slice(0, 256);
}

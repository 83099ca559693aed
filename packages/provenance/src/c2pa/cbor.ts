/**
 * The few CBOR (RFC 8949) shapes a COSE_Sign1 signature needs, encoded deterministically: the
 * library hands us the claim and expects finished COSE bytes back, and none of core's
 * dependencies speak CBOR, so a ~60-line encoder beats another dependency.
 */
export type CborValue =
  | number
  | string
  | Uint8Array
  | null
  | CborValue[]
  | CborMap
  | { readonly tag: number; readonly value: CborValue };

/** A CBOR map with integer or text keys, kept in insertion order. */
export type CborMap = Map<number | string, CborValue>;

/** Encodes a major type and its argument (length, count or unsigned value). */
function head(major: number, argument: number): Uint8Array {
  const type = major << 5;
  if (argument < 24) return Uint8Array.of(type | argument);
  if (argument < 0x100) return Uint8Array.of(type | 24, argument);
  if (argument < 0x10000) return Uint8Array.of(type | 25, argument >> 8, argument & 0xff);
  if (argument <= 0xffffffff) {
    const bytes = new Uint8Array(5);
    bytes[0] = type | 26;
    new DataView(bytes.buffer).setUint32(1, argument);
    return bytes;
  }
  throw new RangeError('cbor: argument too large');
}

/** The number of bytes {@link head} writes for an argument. */
export function headLength(argument: number): number {
  if (argument < 24) return 1;
  if (argument < 0x100) return 2;
  if (argument < 0x10000) return 3;
  return 5;
}

function encodeInto(value: CborValue, parts: Uint8Array[]): void {
  if (value === null) {
    parts.push(Uint8Array.of(0xf6));
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError('cbor: only integers are supported');
    parts.push(value >= 0 ? head(0, value) : head(1, -1 - value));
  } else if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    parts.push(head(3, bytes.byteLength), bytes);
  } else if (value instanceof Uint8Array) {
    parts.push(head(2, value.byteLength), value);
  } else if (Array.isArray(value)) {
    parts.push(head(4, value.length));
    for (const item of value) encodeInto(item, parts);
  } else if (value instanceof Map) {
    parts.push(head(5, value.size));
    for (const [key, item] of value) {
      encodeInto(key, parts);
      encodeInto(item, parts);
    }
  } else {
    parts.push(head(6, value.tag));
    encodeInto(value.value, parts);
  }
}

/** Encodes one value as CBOR bytes. */
export function encodeCbor(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  encodeInto(value, parts);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Serializes a value as canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * `undefined` members left out, numbers and strings as `JSON.stringify` writes them (which for
 * finite numbers is the RFC 8785 form). Hashes and signatures of audit records are computed over
 * this form, so any two writers (and the verifier) produce the same bytes for the same record.
 *
 * @throws TypeError for values JSON cannot represent faithfully (non-finite numbers, bigint,
 *   functions, symbols, cycles).
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set());
}

function serialize(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError('Canonical JSON cannot represent a non-finite number.');
      return JSON.stringify(value);
    case 'object': {
      const object = value as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof object.toJSON === 'function') return serialize(object.toJSON(), seen);
      if (seen.has(object)) throw new TypeError('Canonical JSON cannot represent a cycle.');
      seen.add(object);
      let result: string;
      if (Array.isArray(object)) {
        result = `[${object.map((item) => (item === undefined ? 'null' : serialize(item, seen))).join(',')}]`;
      } else {
        const keys = Object.keys(object)
          .filter((key) => object[key] !== undefined)
          .sort();
        result = `{${keys.map((key) => `${JSON.stringify(key)}:${serialize(object[key], seen)}`).join(',')}}`;
      }
      seen.delete(object);
      return result;
    }
    default:
      throw new TypeError(`Canonical JSON cannot represent a ${typeof value}.`);
  }
}

/**
 * The canonical members of a plain object (`"key":value` texts in canonical key order, `undefined`
 * members left out), so a caller can hash the object and then insert one more member without
 * serializing everything twice: `{${members.join(',')}}` is `canonicalJson(object)`.
 */
export function canonicalMembers(object: Record<string, unknown>): Array<[key: string, text: string]> {
  const seen = new Set<object>([object]);
  return Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => [key, `${JSON.stringify(key)}:${serialize(object[key], seen)}`]);
}

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
  return serialize(value, []);
}

/** Most distinct keys remembered by {@link keyText} (record keys are few; metadata keys are not bounded). */
const MAX_CACHED_KEYS = 1024;
const keyTexts = new Map<string, string>();

/** `"key":` for a member; the audit record's fixed keys are serialized once per process. */
function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (keyTexts.size < MAX_CACHED_KEYS) keyTexts.set(key, text);
  }
  return text;
}

/**
 * One value. `open` holds the objects being serialized (the path from the root), for the cycle
 * check: records are a few levels deep, so a short array beats a Set.
 */
function serialize(value: unknown, open: object[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError('Canonical JSON cannot represent a non-finite number.');
      return JSON.stringify(value);
    case 'object': {
      const object = value as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof object.toJSON === 'function') return serialize(object.toJSON(), open);
      if (open.includes(object)) throw new TypeError('Canonical JSON cannot represent a cycle.');
      open.push(object);
      const result = Array.isArray(object) ? serializeArray(object, open) : serializeObject(object, open);
      open.pop();
      return result;
    }
    default:
      throw new TypeError(`Canonical JSON cannot represent a ${typeof value}.`);
  }
}

function serializeArray(array: unknown[], open: object[]): string {
  let result = '[';
  for (let index = 0; index < array.length; index++) {
    if (index > 0) result += ',';
    const item = array[index];
    result += item === undefined ? 'null' : serialize(item, open);
  }
  return `${result}]`;
}

function serializeObject(object: Record<string, unknown>, open: object[]): string {
  const keys = Object.keys(object).sort();
  let result = '{';
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    if (!first) result += ',';
    first = false;
    result += keyText(key) + serialize(member, open);
  }
  return `${result}}`;
}

/**
 * The canonical JSON of a plain object cut in two at `split`: `before` holds the members whose
 * keys sort before it, `after` those after it (each a comma-separated member list without braces;
 * a member named `split` itself is left out). A writer that hashes an object and then adds the
 * hash as a member can serialize it once: the object without the member is
 * `{before,after}`, with it `{before,"split":…,after}`.
 */
export function canonicalMembersAround(
  object: Record<string, unknown>,
  split: string,
): { before: string; after: string } {
  const open: object[] = [object];
  const keys = Object.keys(object).sort();
  let before = '';
  let after = '';
  for (const key of keys) {
    if (key === split) continue;
    const member = object[key];
    if (member === undefined) continue;
    const text = keyText(key) + serialize(member, open);
    if (key < split) before = before === '' ? text : `${before},${text}`;
    else after = after === '' ? text : `${after},${text}`;
  }
  return { before, after };
}

/** The fields a chained sink adds to each record. */
const CHAIN_FIELDS = new Set(['seq', 'prevHash', 'hash']);

/** A stored entry without the chain fields, to compare with the record written. */
export function withoutChain(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([name]) => !CHAIN_FIELDS.has(name)));
}

/** What a promise rejected with, or `'resolved'`. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

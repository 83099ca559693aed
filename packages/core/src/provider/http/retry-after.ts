/**
 * Reads how long a provider asked us to wait, in milliseconds: `retry-after-ms` (OpenAI), then
 * `retry-after` as seconds or an HTTP date. Undefined when neither is present or readable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers.get('retry-after');
  if (after !== null && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/**
 * Parses duration strings such as `1s`, `6m0s`, `250ms` or `1h2m3.5s` (OpenAI's
 * `x-ratelimit-reset-*` headers) into milliseconds.
 */
export function parseDuration(value: string): number | undefined {
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const match of value.matchAll(pattern)) {
    const amount = Number(match[1]);
    const unit = match[2];
    total +=
      unit === 'h'
        ? amount * 3_600_000
        : unit === 'm'
          ? amount * 60_000
          : unit === 's'
            ? amount * 1000
            : amount;
    matched += match[0];
  }
  return matched.length > 0 && matched === value.trim() ? total : undefined;
}

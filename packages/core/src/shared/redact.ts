/**
 * Removes every occurrence of the given secrets from a text before it may reach an error message,
 * an event or a log line. Providers call it on upstream error bodies, which sometimes echo the key.
 * Secrets shorter than 6 characters are ignored (they would redact ordinary words).
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 6) result = result.split(secret).join('[REDACTED]');
  }
  return result;
}

const BASE64_RUN = /[A-Za-z0-9+/]{200,}={0,2}/g;

/**
 * Shortens long base64 runs (images smuggled into error bodies or metadata) so that neither logs
 * nor audit records ever carry image data.
 */
export function stripBase64(text: string): string {
  return text.replace(BASE64_RUN, (run) => `[base64 omitted: ${run.length} chars]`);
}

/** Truncates a text for a message, marking the cut. */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

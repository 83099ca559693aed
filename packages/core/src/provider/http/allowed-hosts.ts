/**
 * Host discipline for submit-and-poll APIs (BFL, fal): the URLs a provider hands back (where to
 * poll, where the image is) are checked against allow lists before anything is fetched, so a tampered or buggy
 * reply cannot make the gateway send its key, or any request, somewhere else.
 */
import { BackendError } from '../../errors/gateway-error.ts';

/**
 * Whether a URL's host is on a list. An entry is a host name (`api.bfl.ai`, default port only), a
 * host with a port (`127.0.0.1:8443`), or a wildcard for subdomains (`*.bfl.ai`).
 */
export function hostAllowed(url: URL, entries: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const host = url.host.toLowerCase();
  return entries.some((raw) => {
    const entry = raw.toLowerCase();
    if (entry.startsWith('*.')) return url.port === '' && hostname.endsWith(entry.slice(1));
    return entry.includes(':') ? host === entry : url.port === '' && hostname === entry;
  });
}

/** What {@link checkedUrl} needs to know. */
export interface CheckedUrlOptions {
  provider: string;
  /** Allowed hosts (see {@link hostAllowed}). */
  hosts: readonly string[];
  /** Whether plain http is acceptable (only when the configured base URL is http itself). */
  allowHttp: boolean;
  /** What the URL is for, in messages: "polling URL", "result URL". */
  what: string;
}

/**
 * Parses a URL from an upstream reply and refuses it unless it is https (or http when allowed) on
 * an allowed host. A refusal is `malformed_response`: the reply is wrong, the request was not made.
 * Only the host goes into the message, never the path or query (they may carry signatures).
 */
export function checkedUrl(text: string, options: CheckedUrlOptions): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BackendError(`${options.provider}: the ${options.what} in the reply is not a URL.`, {
      reason: 'malformed_response',
      provider: options.provider,
    });
  }
  const protocolOk = url.protocol === 'https:' || (options.allowHttp && url.protocol === 'http:');
  if (!protocolOk || url.username || url.password || !hostAllowed(url, options.hosts)) {
    throw new BackendError(
      `${options.provider}: the ${options.what} points to ${url.protocol}//${url.host}, which is not on the allowed hosts (${options.hosts.join(', ')}); nothing was fetched. Add the host to the provider's host settings if it is genuine.`,
      { reason: 'malformed_response', provider: options.provider, upstreamCode: 'host_not_allowed' },
    );
  }
  return url;
}

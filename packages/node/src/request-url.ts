import type { IncomingMessage } from 'node:http';

/** How request URLs are built from a Node request (see {@link NodeHandlerOptions}). */
export interface RequestUrlOptions {
  trustProxy?: boolean;
  requestHost?: string;
  requestProtocol?: 'http:' | 'https:';
}

/** The first value of a comma-separated header. */
function firstValue(value: string | null | undefined): string | undefined {
  const first = value?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/** A parameter (`proto`, `host`) of the first element of an RFC 7239 `Forwarded` header. */
function forwardedParameter(header: string | undefined, name: string): string | undefined {
  const first = firstValue(header);
  if (!first) return undefined;
  for (const pair of first.split(';')) {
    const [key, value] = pair.split('=', 2);
    if (key?.trim().toLowerCase() === name && value) return value.trim().replace(/^"|"$/g, '');
  }
  return undefined;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The absolute URL of a Node request: a fixed protocol and host when configured, else the
 * forwarded ones (`Forwarded`, then `X-Forwarded-Proto`/`-Host`) only with `trustProxy`, else
 * the socket's protocol and the Host header.
 */
export function requestUrl(req: IncomingMessage, options: RequestUrlOptions): string {
  const forwardedProtocol = options.trustProxy
    ? (
        forwardedParameter(headerOf(req, 'forwarded'), 'proto') ??
        firstValue(headerOf(req, 'x-forwarded-proto'))
      )?.toLowerCase()
    : undefined;
  const protocol =
    options.requestProtocol ??
    (forwardedProtocol === 'https' || forwardedProtocol === 'http' ? `${forwardedProtocol}:` : undefined) ??
    ('encrypted' in req.socket && req.socket.encrypted ? 'https:' : 'http:');
  const host =
    options.requestHost ??
    (options.trustProxy
      ? (forwardedParameter(headerOf(req, 'forwarded'), 'host') ??
        firstValue(headerOf(req, 'x-forwarded-host')))
      : undefined) ??
    headerOf(req, 'host') ??
    'localhost';
  return `${protocol}//${host}${req.url ?? '/'}`;
}

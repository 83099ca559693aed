/**
 * Downloads a result image from its (expiring) URL: no credentials, a timeout of its own inside the
 * request's deadline, and a size cap, so a slow or huge CDN answer cannot hold the gateway.
 */
import { BackendError } from '../../errors/gateway-error.ts';
import { type FetchFunction, providerFetch, readBodyBytes } from './provider-fetch.ts';

/** Settings of one download. */
export interface DownloadOptions {
  provider: string;
  fetch: FetchFunction | undefined;
  /** The request's signal (caller abort and deadline). */
  signal: AbortSignal;
  /** Longest the download may take. */
  timeoutMs: number;
  /** Largest body accepted. */
  maxBytes: number;
}

/**
 * Fetches `url` with only an `accept` header. Expired or missing results (401/403/404/410) and
 * other failures are `upstream_unavailable`; the download's own timeout is `timeout`; the caller's
 * abort and the deadline surface as ABORTED and TIMEOUT as everywhere else.
 */
export async function downloadResult(
  url: URL,
  options: DownloadOptions,
): Promise<{ bytes: Uint8Array; contentType: string }> {
  const own = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, own]);
  const timedOut = () => own.aborted && !options.signal.aborted;
  const timeoutError = () =>
    new BackendError(
      `${options.provider}: downloading the result from ${url.host} took longer than ${options.timeoutMs} ms.`,
      {
        reason: 'timeout',
        provider: options.provider,
      },
    );
  try {
    const response = await providerFetch(
      url,
      { method: 'GET', headers: { accept: 'image/*' }, redirect: 'error' },
      { provider: options.provider, fetch: options.fetch, signal },
    );
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const expired = [401, 403, 404, 410].includes(response.status);
      throw new BackendError(
        expired
          ? `${options.provider}: the result at ${url.host} is gone (HTTP ${response.status}); result URLs expire, so the image was not fetched in time.`
          : `${options.provider}: downloading the result from ${url.host} failed (HTTP ${response.status}).`,
        { reason: 'upstream_unavailable', provider: options.provider, upstreamStatus: response.status },
      );
    }
    const bytes = await readBodyBytes(response, {
      provider: options.provider,
      maxBytes: options.maxBytes,
      signal,
    });
    return { bytes, contentType: (response.headers.get('content-type') ?? '').toLowerCase() };
  } catch (error) {
    if (timedOut()) throw timeoutError();
    throw error;
  }
}

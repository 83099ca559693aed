import { BackendError, providerFetch, readBodyBytes } from '@pixelgate/core/provider-utils';
import { callSignal, translateAbort } from './openai-call-signal.ts';
import type { OpenAITransport } from './openai-image-provider.ts';

const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

function checkedImageUrl(
  transport: OpenAITransport,
  url: string,
  upstreamRequestId: string | undefined,
): URL {
  const fail = (message: string) =>
    new BackendError(message, {
      reason: 'malformed_response',
      provider: transport.id,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
    });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail(`${transport.label} answered with an image URL that is not a URL.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw fail(`${transport.label} answered with an image URL of scheme ${parsed.protocol}, not http(s).`);
  }
  return parsed;
}

/**
 * Downloads an image a server answered with as a URL (compatible servers may ignore
 * `response_format: b64_json`), with its own timeout and size cap. No credentials are sent: the URL
 * may point at another host (a CDN), which must never see the key.
 */
export async function downloadImage(
  transport: OpenAITransport,
  url: string,
  parent: AbortSignal,
  secrets: string[],
  upstreamRequestId: string | undefined,
): Promise<Uint8Array> {
  const { id, label, http } = transport;
  const timeoutMs = http.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const parsed = checkedImageUrl(transport, url, upstreamRequestId);
  const guard = callSignal(parent, timeoutMs);
  try {
    const response = await providerFetch(
      parsed,
      { method: 'GET', headers: { accept: 'image/*' } },
      { provider: id, fetch: http.fetch, signal: guard.signal, secrets },
    );
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new BackendError(`Downloading the image ${label} produced failed with HTTP ${response.status}.`, {
        reason: 'upstream_unavailable',
        provider: id,
        upstreamStatus: response.status,
        ...(upstreamRequestId ? { upstreamRequestId } : {}),
      });
    }
    return await readBodyBytes(response, {
      provider: id,
      maxBytes: http.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
      signal: guard.signal,
      upstreamRequestId,
    });
  } catch (error) {
    throw translateAbort(error, parent, guard.timedOut(), id, 'deliver the image download', timeoutMs);
  } finally {
    guard.dispose();
  }
}

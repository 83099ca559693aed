/**
 * Fetches a Ready task's image: the `sample` URL must be on the result host allow list; it is
 * downloaded without the key, within its own timeout and size cap, and checked to be the image
 * (type and size) the call asked for, with a warning where it differs.
 */
import type {
  FetchFunction,
  GenerationWarning,
  ProviderCall,
  ProviderCallContext,
} from '@pixelgate/core/provider-utils';
import { BackendError, checkedUrl, downloadResult, sniffImage } from '@pixelgate/core/provider-utils';

/** The provider settings a download needs. */
export interface BflResultEnvironment {
  provider: string;
  fetch: FetchFunction | undefined;
  resultHosts: readonly string[];
  allowHttp: boolean;
  downloadTimeoutMs: number;
  maxImageBytes: number;
}

/** The pixel size the call should produce, for the size check. */
function expectedSize(call: ProviderCall): string | undefined {
  if (call.aspectRatio) return call.model.capabilities.aspectRatios[call.aspectRatio];
  return call.size && call.size !== 'auto' ? call.size : call.model.defaults.size;
}

/** Downloads and checks the result image. */
export async function resultImage(
  call: ProviderCall,
  sample: string,
  context: ProviderCallContext,
  format: string,
  warnings: GenerationWarning[],
  taskId: string,
  env: BflResultEnvironment,
): Promise<{ bytes: Uint8Array; mediaType: string }> {
  const { provider: id, resultHosts, allowHttp } = env;
  const url = checkedUrl(sample, { provider: id, hosts: resultHosts, allowHttp, what: 'result URL' });
  const { bytes } = await downloadResult(url, {
    provider: id,
    fetch: env.fetch,
    signal: context.signal,
    timeoutMs: env.downloadTimeoutMs,
    maxBytes: env.maxImageBytes,
  });
  const sniffed = sniffImage(bytes);
  if (!sniffed) {
    throw new BackendError(`${id}: the result of task ${taskId} is not a PNG, JPEG or WebP image.`, {
      reason: 'malformed_response',
      provider: id,
      upstreamRequestId: taskId,
    });
  }
  if (sniffed.mediaType !== `image/${format}`) {
    warnings.push({
      type: 'other',
      param: 'output_format',
      message: `BFL returned ${sniffed.mediaType} although image/${format} was asked for; the image is labelled with its real type.`,
      from: `image/${format}`,
      to: sniffed.mediaType,
    });
  }
  const wanted = expectedSize(call);
  const produced = sniffed.width && sniffed.height ? `${sniffed.width}x${sniffed.height}` : undefined;
  if (wanted && produced && produced !== wanted) {
    warnings.push({
      type: 'other',
      param: 'size',
      message: `BFL produced ${produced} where the catalog says ${wanted} for '${call.model.id}'.`,
      from: wanted,
      to: produced,
    });
  }
  return { bytes, mediaType: sniffed.mediaType };
}

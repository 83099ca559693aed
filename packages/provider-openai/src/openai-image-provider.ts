import {
  abortErrorFrom,
  BackendError,
  decodeBase64,
  type FetchFunction,
  GatewayError,
  type GenerationWarning,
  type ImageProvider,
  type ModelDescriptor,
  type ModelDescriptorInput,
  OUTPUT_FORMAT_MEDIA_TYPES,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderImage,
  type ProviderResult,
  parseSize,
  providerFetch,
  readBodyBytes,
  readJsonBody,
  sniffImage,
  validationError,
} from '@pixelgate/core';
import { imagesResponseSchema, mapUsage } from './openai-api.ts';
import { type OpenAIModelData, openAIModelData } from './openai-catalog.ts';
import { mapOpenAIError, upstreamRequestIdOf } from './openai-error.ts';
import { openAIProviderOptionsSchema } from './openai-options.ts';
import { buildImageRequestBody } from './openai-request.ts';

/** Transport settings shared by the OpenAI, Azure and compatible factories. */
export interface OpenAIHttpSettings {
  /** Extra headers sent with every request (a proxy's own auth, tracing). Never logged. */
  headers?: Record<string, string>;
  /** The fetch implementation: the test seam, or a custom agent. Defaults to the global fetch. */
  fetch?: FetchFunction;
  /**
   * Longest wait for one generation call, in milliseconds (default 600000, as openai-node). High
   * quality GPT images take minutes; the gateway's own deadline still applies on top.
   */
  timeoutMs?: number;
  /** Longest wait for downloading one image a server answered with as a URL (default 60000). */
  downloadTimeoutMs?: number;
  /** Largest image accepted from a URL download, in bytes (default 50 MiB). */
  maxDownloadBytes?: number;
  /** Largest generation response accepted, in bytes (default 512 MiB: ten 4K PNGs in base64). */
  maxResponseBytes?: number;
}

/** How one deployment authenticates and addresses a model: the part that differs between hosts. */
export interface OpenAITransport {
  id: string;
  /** `OpenAI`, `Azure OpenAI`: used in messages. */
  label: string;
  models: ModelDescriptorInput[];
  /** Whether the body carries `model` (not on Azure, where the deployment is in the path). */
  sendModel: boolean;
  url(model: ModelDescriptor, data: OpenAIModelData): string;
  /** Headers carrying credentials, resolved per call (bring-your-own-key, Entra tokens). */
  auth(context: ProviderCallContext): Promise<{ headers: Record<string, string>; secrets: string[] }>;
  http: OpenAIHttpSettings;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/**
 * A signal that fires on the caller's signal or after `ms`, and tells which one fired: a caller
 * abort or the gateway deadline stays ABORTED/TIMEOUT, our own timeout is an upstream timeout
 * (BackendError `timeout`, retryable).
 */
function callSignal(
  parent: AbortSignal,
  ms: number,
): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('upstream timeout', 'TimeoutError')), ms);
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => controller.signal.aborted && !parent.aborted,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

function translateAbort(
  error: unknown,
  parent: AbortSignal,
  timedOut: boolean,
  provider: string,
  what: string,
  ms: number,
): unknown {
  const isAbortish = !GatewayError.isInstance(error) || error.code === 'TIMEOUT' || error.code === 'ABORTED';
  if (!isAbortish) return error;
  if (parent.aborted) return abortErrorFrom(parent, provider);
  if (timedOut) {
    return new BackendError(`${provider} did not ${what} within ${ms} ms.`, { reason: 'timeout', provider });
  }
  return error;
}

/**
 * Builds the image provider over one transport. The plugin is a plain object: no container, no
 * decorators; everything it needs is in the transport, and `fetch` is the test seam.
 */
export function createOpenAIImageProvider(transport: OpenAITransport): ImageProvider {
  const { id, label, http } = transport;
  const timeoutMs = http.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const downloadTimeoutMs = http.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const maxDownloadBytes = http.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const maxResponseBytes = http.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  async function download(
    url: string,
    parent: AbortSignal,
    secrets: string[],
    upstreamRequestId: string | undefined,
  ): Promise<Uint8Array> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new BackendError(`${label} answered with an image URL that is not a URL.`, {
        reason: 'malformed_response',
        provider: id,
        ...(upstreamRequestId ? { upstreamRequestId } : {}),
      });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new BackendError(
        `${label} answered with an image URL of scheme ${parsed.protocol}, not http(s).`,
        {
          reason: 'malformed_response',
          provider: id,
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        },
      );
    }
    const guard = callSignal(parent, downloadTimeoutMs);
    try {
      // No credentials: the URL may point at another host (a CDN), which must never see the key.
      const response = await providerFetch(
        parsed,
        { method: 'GET', headers: { accept: 'image/*' } },
        { provider: id, fetch: http.fetch, signal: guard.signal, secrets },
      );
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw new BackendError(
          `Downloading the image ${label} produced failed with HTTP ${response.status}.`,
          {
            reason: 'upstream_unavailable',
            provider: id,
            upstreamStatus: response.status,
            ...(upstreamRequestId ? { upstreamRequestId } : {}),
          },
        );
      }
      return await readBodyBytes(response, {
        provider: id,
        maxBytes: maxDownloadBytes,
        signal: guard.signal,
        upstreamRequestId,
      });
    } catch (error) {
      throw translateAbort(
        error,
        parent,
        guard.timedOut(),
        id,
        'deliver the image download',
        downloadTimeoutMs,
      );
    } finally {
      guard.dispose();
    }
  }

  return {
    specificationVersion: 'v1',
    id,
    models: transport.models,
    providerOptionsSchema: openAIProviderOptionsSchema,

    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      if (context.signal.aborted) throw abortErrorFrom(context.signal, id);
      const data = openAIModelData(call.model);
      const parsedOptions = openAIProviderOptionsSchema.safeParse(call.providerOptions ?? {});
      if (!parsedOptions.success) {
        const issue = parsedOptions.error.issues[0];
        throw validationError(
          `provider_options.${id}${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
          `Invalid ${id} provider option: ${issue?.message ?? 'unknown problem'}.`,
        );
      }
      const body = buildImageRequestBody(call, data, parsedOptions.data, {
        namespace: id,
        sendModel: transport.sendModel,
      });
      const auth = await transport.auth(context);
      const secrets = auth.secrets;
      const url = transport.url(call.model, data);
      const warnings: GenerationWarning[] = [];
      const pixels = call.size ? parseSize(call.size) : undefined;
      if (
        data.experimentalAbovePixels &&
        pixels &&
        pixels.width * pixels.height > data.experimentalAbovePixels
      ) {
        warnings.push({
          type: 'other',
          param: 'size',
          message: `${call.size} is above ${data.experimentalAbovePixels} pixels; ${label} calls such sizes experimental for ${call.model.id}.`,
        });
      }
      if (data.transparentBackgroundPreview && call.background === 'transparent') {
        warnings.push({
          type: 'other',
          param: 'background',
          message: `A transparent background is a preview feature of ${call.model.id}.`,
        });
      }
      const guard = callSignal(context.signal, timeoutMs);
      try {
        const response = await providerFetch(
          url,
          {
            method: 'POST',
            headers: {
              ...http.headers,
              'content-type': 'application/json',
              accept: 'application/json',
              ...auth.headers,
            },
            body: JSON.stringify(body),
          },
          { provider: id, fetch: http.fetch, signal: guard.signal, secrets },
        );
        const upstreamRequestId = upstreamRequestIdOf(response.headers);
        if (!response.ok) {
          let text = '';
          try {
            const bytes = await readBodyBytes(response, {
              provider: id,
              maxBytes: MAX_ERROR_BODY_BYTES,
              signal: guard.signal,
              upstreamRequestId,
            });
            text = new TextDecoder().decode(bytes);
          } catch (error) {
            if (guard.signal.aborted) throw error;
            // A cut or oversized error body still has a status worth reporting.
          }
          throw mapOpenAIError(response.status, response.headers, text, {
            provider: id,
            label,
            modelId: data.deployment ? (data.upstreamModel ?? call.model.id) : call.model.id,
            deployment: data.deployment,
            secrets,
          });
        }
        const json = await readJsonBody(response, {
          provider: id,
          maxBytes: maxResponseBytes,
          signal: guard.signal,
          upstreamRequestId,
        });
        const parsed = imagesResponseSchema.safeParse(json);
        if (!parsed.success) {
          throw new BackendError(`${label} answered with a body that is not an images response.`, {
            reason: 'malformed_response',
            provider: id,
            upstreamStatus: response.status,
            ...(upstreamRequestId ? { upstreamRequestId } : {}),
          });
        }
        const result = parsed.data;
        if (result.data.length === 0) {
          throw new BackendError(`${label} answered without any image.`, {
            reason: 'malformed_response',
            provider: id,
            upstreamStatus: response.status,
            ...(upstreamRequestId ? { upstreamRequestId } : {}),
          });
        }
        const declaredFormat =
          result.output_format ?? (data.family === 'gpt-image' ? call.outputFormat : 'png') ?? 'png';
        const expectedMediaType =
          OUTPUT_FORMAT_MEDIA_TYPES[declaredFormat as keyof typeof OUTPUT_FORMAT_MEDIA_TYPES];
        const images: ProviderImage[] = [];
        for (const entry of result.data.slice(0, call.n)) {
          const bytes = entry.b64_json
            ? decodeBase64(entry.b64_json, id)
            : await download(entry.url!, guard.signal, secrets, upstreamRequestId);
          const sniffed = sniffImage(bytes);
          if (!sniffed || (expectedMediaType !== undefined && sniffed.mediaType !== expectedMediaType)) {
            throw new BackendError(
              sniffed
                ? `${label} declared ${declaredFormat} but the image bytes are ${sniffed.mediaType}.`
                : `${label} answered with image data that is not a known image format.`,
              {
                reason: 'malformed_response',
                provider: id,
                upstreamStatus: response.status,
                ...(upstreamRequestId ? { upstreamRequestId } : {}),
              },
            );
          }
          images.push({
            bytes,
            mediaType: sniffed.mediaType,
            ...(entry.b64_json ? { base64: entry.b64_json } : {}),
            ...(entry.revised_prompt ? { revisedPrompt: entry.revised_prompt } : {}),
          });
        }
        if (result.data.length > call.n) {
          warnings.push({
            type: 'other',
            param: 'n',
            message: `${label} returned ${result.data.length} images for n=${call.n}; the extra ones were not used.`,
          });
        } else if (images.length < call.n) {
          warnings.push({
            type: 'partial',
            param: 'n',
            message: `${label} returned ${images.length} of the ${call.n} images asked for.`,
            from: call.n,
            to: images.length,
          });
        }
        const usage = mapUsage(result.usage);
        return {
          images,
          ...(usage ? { usage } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
          response: {
            ...(upstreamRequestId ? { upstreamRequestId } : {}),
            modelId: data.upstreamModel ?? call.model.id,
            status: response.status,
          },
        };
      } catch (error) {
        throw translateAbort(error, context.signal, guard.timedOut(), id, 'answer', timeoutMs);
      } finally {
        guard.dispose();
      }
    },
  };
}

import {
  BackendError,
  type BackendReason,
  decodeBase64,
  type FetchFunction,
  type ImageProvider,
  loadApiKey,
  type ModelDescriptorInput,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseRetryAfter,
  parseSize,
  providerFetch,
  readJsonBody,
  redactSecrets,
  sniffImage,
  stripBase64,
  truncateText,
} from '@pixelgate/core';
import { z } from 'zod';
import { ACME_MODELS } from './acme-models.ts';

/** Where acme-images lives unless told otherwise. */
export const ACME_DEFAULT_BASE_URL = 'https://api.acme-images.example';

/** Settings of {@link createAcmeImagesProvider}. */
export interface AcmeImagesProviderSettings {
  /** Provider id in qualified model ids (default `acme`). */
  id?: string;
  /** API key; otherwise ACME_API_KEY, read at the first call so a missing key fails the call, not the import. */
  apiKey?: string;
  /** API base without a trailing slash (default {@link ACME_DEFAULT_BASE_URL}). */
  baseURL?: string;
  /** The fetch implementation: the test seam. */
  fetch?: FetchFunction;
  /** Models to add, or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
}

/** `provider_options.acme`: Acme's own knobs, checked by the gateway before the call. */
export const acmeProviderOptionsSchema = z.strictObject({
  /** Acme's "stylize" strength, 0-100. */
  stylize: z.number().int().min(0).max(100).optional(),
});

/** The success body, parsed leniently on extras but strictly on what the plugin relies on. */
const acmeResponseSchema = z.object({
  id: z.string().optional(),
  images: z.array(
    z.object({ b64: z.string().min(1), content_type: z.string(), seed: z.number().int().optional() }),
  ),
  blocked: z.number().int().min(0).default(0),
});

const acmeErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Acme's error codes to pixelgate's normalized reasons; the status decides when the code is unknown. */
const REASON_BY_CODE: Record<string, BackendReason> = {
  invalid_request: 'upstream_rejected',
  invalid_api_key: 'upstream_auth',
  insufficient_credit: 'insufficient_credit',
  unknown_model: 'model_unavailable',
  content_policy: 'content_filtered',
  rate_limited: 'rate_limited',
  overloaded: 'upstream_unavailable',
  internal: 'upstream_unavailable',
};

function reasonForStatus(status: number): BackendReason {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 402) return 'insufficient_credit';
  if (status === 404) return 'model_unavailable';
  if (status === 422) return 'content_filtered';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'upstream_unavailable';
  return 'upstream_rejected';
}

/**
 * Turns an Acme error response into a BackendError with the normalized reason, the upstream
 * status, code and request id, and a message cleaned of secrets and base64, so what reaches
 * callers, logs and audit records is safe.
 */
export async function mapAcmeError(
  response: Response,
  options: { provider: string; secrets: string[]; upstreamRequestId?: string },
): Promise<BackendError> {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const parsed = acmeErrorSchema.safeParse(await response.json());
    if (parsed.success) {
      code = parsed.data.error.code;
      message = truncateText(stripBase64(redactSecrets(parsed.data.error.message, options.secrets)), 300);
    }
  } catch {
    // A non-JSON error body: the status alone decides.
  }
  const reason = (code ? REASON_BY_CODE[code] : undefined) ?? reasonForStatus(response.status);
  const retryAfterMs = parseRetryAfter(response.headers);
  return new BackendError(`acme-images: ${message}`, {
    reason,
    provider: options.provider,
    upstreamStatus: response.status,
    ...(code ? { upstreamCode: code } : {}),
    ...(options.upstreamRequestId ? { upstreamRequestId: options.upstreamRequestId } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * A pixelgate provider plugin for acme-images, a provider pixelgate does not ship: a plain object
 * with an id, its catalog as data and one `generate` that maps the validated call to Acme's JSON
 * API and back. Everything else (validation, retries, budgets, storage, audit) is the gateway's.
 */
export function createAcmeImagesProvider(settings: AcmeImagesProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'acme';
  const baseURL = (settings.baseURL ?? ACME_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const byId = new Map<string, ModelDescriptorInput>();
  for (const model of [...ACME_MODELS, ...(settings.models ?? [])])
    byId.set(model.id, { ...model, provider: id });

  return {
    specificationVersion: 'v1',
    id,
    models: [...byId.values()],
    providerOptionsSchema: acmeProviderOptionsSchema,
    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      // A tenant's own key (bring-your-own-key) wins over the configured one for this call.
      const apiKey =
        context.credentials?.apiKey ??
        loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'ACME_API_KEY', provider: id });
      const size = parseSize(call.size ?? '');
      const body = {
        model: call.model.id,
        prompt: call.prompt,
        ...(size ? { width: size.width, height: size.height } : {}),
        count: call.n,
        ...(call.seed === undefined ? {} : { seed: call.seed }),
        ...(call.outputFormat ? { format: call.outputFormat } : {}),
        ...(call.negativePrompt ? { negative: call.negativePrompt } : {}),
        ...(call.providerOptions.stylize === undefined ? {} : { stylize: call.providerOptions.stylize }),
      };
      const response = await providerFetch(
        `${baseURL}/v1/generate`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'x-client-request-id': context.requestId,
          },
          body: JSON.stringify(body),
        },
        { provider: id, fetch: settings.fetch, signal: context.signal, secrets: [apiKey] },
      );
      const upstreamRequestId = response.headers.get('x-acme-request-id') ?? undefined;
      if (!response.ok)
        throw await mapAcmeError(response, {
          provider: id,
          secrets: [apiKey],
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        });

      const json = await readJsonBody(response, { provider: id, signal: context.signal, upstreamRequestId });
      const parsed = acmeResponseSchema.safeParse(json);
      if (!parsed.success) {
        throw new BackendError('acme-images answered 200 with a body that does not match its API.', {
          reason: 'malformed_response',
          provider: id,
          upstreamStatus: response.status,
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        });
      }
      const { images, blocked } = parsed.data;
      if (images.length === 0 && blocked > 0) {
        throw new BackendError('acme-images withheld every image for safety.', {
          reason: 'content_filtered',
          provider: id,
          upstreamStatus: response.status,
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        });
      }
      return {
        images: images.map((image) => {
          const bytes = decodeBase64(image.b64, id);
          const sniffed = sniffImage(bytes);
          // Trust the bytes, not the label: a mismatch means a broken upstream, not a PNG named JPEG.
          if (!sniffed || sniffed.mediaType !== image.content_type) {
            throw new BackendError(
              `acme-images returned bytes that are not the ${image.content_type} it declared.`,
              {
                reason: 'malformed_response',
                provider: id,
                ...(upstreamRequestId ? { upstreamRequestId } : {}),
              },
            );
          }
          return {
            bytes,
            mediaType: sniffed.mediaType,
            ...(image.seed === undefined ? {} : { seed: image.seed }),
          };
        }),
        ...(blocked > 0 ? { filteredCount: blocked, labels: [`provider:${id}:blocked`] } : {}),
        response: {
          modelId: call.model.id,
          status: response.status,
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        },
      };
    },
  };
}

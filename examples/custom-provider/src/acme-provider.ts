import {
  BackendError,
  decodeBase64,
  type FetchFunction,
  type ImageProvider,
  loadApiKey,
  mergeCatalog,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderImage,
  type ProviderResult,
  parseSize,
  providerFetch,
  readJsonBody,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { type AcmeResponse, acmeResponseSchema } from './acme-api.ts';
import { ACME_MODELS } from './acme-catalog.ts';
import { mapAcmeError } from './acme-error.ts';
import { acmeProviderOptionsSchema } from './acme-options.ts';

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

/** Acme's JSON body for one validated call: the gateway has already checked every value. */
function requestBody(call: ProviderCall) {
  const size = parseSize(call.size ?? '');
  return {
    model: call.model.id,
    prompt: call.prompt,
    ...(size ? { width: size.width, height: size.height } : {}),
    count: call.n,
    ...(call.seed === undefined ? {} : { seed: call.seed }),
    ...(call.outputFormat ? { format: call.outputFormat } : {}),
    ...(call.negativePrompt ? { negative: call.negativePrompt } : {}),
    ...(call.providerOptions.stylize === undefined ? {} : { stylize: call.providerOptions.stylize }),
  };
}

/** Decodes each image once and trusts its bytes, not its label: a mismatch means a broken upstream. */
function readImages(answer: AcmeResponse, provider: string, upstreamRequestId?: string): ProviderImage[] {
  return answer.images.map((image) => {
    const bytes = decodeBase64(image.b64, provider);
    const sniffed = sniffImage(bytes);
    if (!sniffed || sniffed.mediaType !== image.content_type) {
      throw new BackendError(
        `acme-images returned bytes that are not the ${image.content_type} it declared.`,
        {
          reason: 'malformed_response',
          provider,
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        },
      );
    }
    return { bytes, mediaType: sniffed.mediaType, ...(image.seed == null ? {} : { seed: image.seed }) };
  });
}

/** One call to `POST /v1/generate`, mapped back to a provider result or a normalized BackendError. */
async function generateWithAcme(
  settings: AcmeImagesProviderSettings & { id: string; baseURL: string },
  call: ProviderCall,
  context: ProviderCallContext,
): Promise<ProviderResult> {
  const { id } = settings;
  // A tenant's own key (bring-your-own-key) wins over the configured one for this call.
  const apiKey =
    context.credentials?.apiKey ??
    loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'ACME_API_KEY', provider: id });
  const response = await providerFetch(
    `${settings.baseURL}/v1/generate`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'x-client-request-id': context.requestId,
      },
      body: JSON.stringify(requestBody(call)),
    },
    { provider: id, fetch: settings.fetch, signal: context.signal, secrets: [apiKey] },
  );
  const upstreamRequestId = response.headers.get('x-acme-request-id') ?? undefined;
  const facts = {
    provider: id,
    upstreamStatus: response.status,
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
  };
  if (!response.ok) {
    throw await mapAcmeError(response, { ...facts, secrets: [apiKey], signal: context.signal });
  }
  const json = await readJsonBody(response, { provider: id, signal: context.signal, upstreamRequestId });
  const parsed = acmeResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackendError('acme-images answered 200 with a body that does not match its API.', {
      ...facts,
      reason: 'malformed_response',
    });
  }
  const blocked = parsed.data.blocked ?? 0;
  if (parsed.data.images.length === 0 && blocked > 0) {
    throw new BackendError('acme-images withheld every image for safety.', {
      ...facts,
      reason: 'content_filtered',
    });
  }
  return {
    images: readImages(parsed.data, id, upstreamRequestId),
    ...(blocked > 0 ? { filteredCount: blocked, labels: [`provider:${id}:blocked`] } : {}),
    response: {
      modelId: call.model.id,
      status: response.status,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
    },
  };
}

/**
 * A pixelgate provider plugin for acme-images, a provider pixelgate does not ship: a plain object
 * with an id, its catalog as data and one `generate` that maps the validated call to Acme's JSON
 * API and back. Everything else (validation, retries, budgets, storage, audit) is the gateway's.
 */
export function createAcmeImagesProvider(settings: AcmeImagesProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'acme';
  const resolved = {
    ...settings,
    id,
    baseURL: (settings.baseURL ?? ACME_DEFAULT_BASE_URL).replace(/\/+$/, ''),
  };
  return {
    specificationVersion: 'v1',
    id,
    models: mergeCatalog(id, ACME_MODELS, settings.models),
    providerOptionsSchema: acmeProviderOptionsSchema,
    generate: (call, context) => generateWithAcme(resolved, call, context),
  };
}

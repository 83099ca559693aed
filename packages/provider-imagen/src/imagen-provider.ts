import {
  type FetchFunction,
  GatewayError,
  type GenerationWarning,
  type ImageProvider,
  mergeCatalog,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  throwIfAborted,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import type { GoogleAuthOptions } from 'google-auth-library';
import { buildGeminiBody, parseGeminiResponse } from './gemini-generate.ts';
import type { ServiceAccountKey } from './google-auth.ts';
import { type GoogleApi, type GoogleModelData, readModelData } from './google-model-data.ts';
import { upstreamModelId } from './google-shared.ts';
import { googleImageModels } from './imagen-catalog.ts';
import { GoogleClient } from './imagen-client.ts';
import { buildImagenEditBody } from './imagen-edit.ts';
import { googleImageOptionsSchema } from './imagen-options.ts';
import { buildImagenBody, parseImagenResponse } from './imagen-predict.ts';

/** Settings of {@link createGoogleImageProvider}. */
export interface GoogleImageProviderSettings {
  /**
   * Which API to call. Defaults to `vertex` when a project, credentials, key file, token function
   * or google-auth options are given, otherwise `gemini`.
   */
  api?: GoogleApi;
  /** Provider id, also the `provider_options` namespace (default `google`). */
  id?: string;
  /** Gemini API key; otherwise GEMINI_API_KEY, then GOOGLE_API_KEY, read when first needed. */
  apiKey?: string;
  /** Vertex project; otherwise GOOGLE_CLOUD_PROJECT, then the credentials' project. */
  project?: string;
  /** Vertex location; otherwise GOOGLE_CLOUD_LOCATION, then `us-central1`. */
  location?: string;
  /** Vertex API version in the path (`v1` by default; Google's SDK uses `v1beta1`). */
  vertexApiVersion?: 'v1' | 'v1beta1';
  /** A service-account key (object or JSON text); its `token_uri` is honoured. */
  credentials?: ServiceAccountKey | string;
  /** Path of a service-account key file. */
  keyFilename?: string;
  /** Your own token source (workload identity, a secrets manager...); called per request. */
  accessToken?: () => Promise<string>;
  /** Passed to google-auth-library, for application default credentials and anything else it supports. */
  googleAuthOptions?: GoogleAuthOptions;
  /** Refresh tokens this long before they expire (default 5 minutes). */
  eagerRefreshThresholdMillis?: number;
  /**
   * Replaces the scheme and host (and an optional path prefix) of every model request, for proxies,
   * private endpoints and tests. The API path (`/v1/projects/...`, `/v1beta/models/...`) is kept.
   */
  baseURL?: string;
  /** Extra headers on every model request. */
  headers?: Record<string, string>;
  /** The fetch used for model and token requests (the test seam). */
  fetch?: FetchFunction;
  /** Models added to, or replacing, the built-in catalog of the chosen API. */
  models?: ModelDescriptorInput[];
  /** Largest answer accepted, in bytes (default 128 MiB: four 2K PNGs in base64 fit). */
  maxResponseBytes?: number;
  /**
   * Whether an answer without an image and without a safety reason (a Gemini model replying in
   * text, NO_IMAGE) may be retried by dispatch. Off by default: each retry is billed.
   */
  retryEmptyResults?: boolean;
}

function inferApi(settings: GoogleImageProviderSettings): GoogleApi {
  if (settings.api) return settings.api;
  const vertexHints = [
    settings.project,
    settings.credentials,
    settings.keyFilename,
    settings.accessToken,
    settings.googleAuthOptions,
  ];
  return vertexHints.some((value) => value !== undefined) ? 'vertex' : 'gemini';
}

/** The catalog of the chosen API plus the user's models, each checked for what its family needs. */
function catalogFor(
  id: string,
  api: GoogleApi,
  added: ModelDescriptorInput[] | undefined,
): ModelDescriptorInput[] {
  const models = mergeCatalog(id, googleImageModels(api), added);
  for (const model of models) {
    let family: string;
    try {
      family = readModelData(model).family;
    } catch (error) {
      throw new GatewayError('CONFIGURATION_ERROR', `${id}: ${(error as Error).message}`, { provider: id });
    }
    // generateContent has no image-count parameter: a Gemini model returning "up to 4 per call"
    // would silently hand back fewer images than asked.
    if (family === 'gemini' && model.capabilities.maxImagesPerCall !== 1) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${id}: model ${model.id} is a Gemini image model; generateContent returns one image per call, so maxImagesPerCall must be 1.`,
        { provider: id },
      );
    }
  }
  return models;
}

/** The request of one call: the body for its family and operation, and the method it goes to. */
function requestFor(
  client: GoogleClient,
  call: ProviderCall,
  data: GoogleModelData,
): { body: unknown; warnings: GenerationWarning[]; method: 'predict' | 'generateContent' } {
  const { id, api } = client;
  if (data.family === 'gemini') return { ...buildGeminiBody(call, data, api, id), method: 'generateContent' };
  if (call.operation === 'edit') return { ...buildImagenEditBody(call, api, id), method: 'predict' };
  return { ...buildImagenBody(call, data, api, id), method: 'predict' };
}

/** Refuses an operation the model does not perform, by name, before any request. */
function checkOperation(client: GoogleClient, call: ProviderCall, data: GoogleModelData): void {
  const label = `${client.id}/${call.model.id}`;
  if (call.operation === 'edit' && !call.model.capabilities.edit) {
    throw validationError(
      'model',
      `'${label}' does not edit images; edit with a Gemini image model or imagen-3.0-capability-001 (Vertex).`,
    );
  }
  if (call.operation === 'edit' && data.family === 'imagen' && !data.editOnly) {
    throw validationError(
      'model',
      `'${label}' generates only; Imagen edits go to imagen-3.0-capability-001 (Vertex).`,
    );
  }
  if (call.operation !== 'edit' && data.editOnly) {
    throw validationError(
      'model',
      `'${label}' edits images only; send it to images.edit with an input image.`,
    );
  }
}

/**
 * One call: Imagen through `:predict` (editing models with `referenceImages`), Gemini image
 * models through `generateContent` (edits with the input images as `inlineData` parts). Errors,
 * safety filtering and usage are read the same way for generations and edits.
 */
async function callGoogle(
  client: GoogleClient,
  settings: GoogleImageProviderSettings,
  call: ProviderCall,
  context: ProviderCallContext,
): Promise<ProviderResult> {
  throwIfAborted(context.signal, client.id);
  const data = readModelData(call.model);
  checkOperation(client, call, data);
  const { body, warnings, method } = requestFor(client, call, data);
  const url = await client.modelUrl(upstreamModelId(call.model, data), method, data.vertexLocation);
  const { json, secrets } = await client.post(url, body, context);
  const result =
    method === 'predict'
      ? parseImagenResponse(json, call, client.id, secrets)
      : parseGeminiResponse(json, call, client.id, secrets, settings.retryEmptyResults ?? false);
  return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
}

/**
 * Google's image models as one pixelgate provider: Imagen through `:predict` and Gemini image
 * models through `generateContent`, on Vertex AI (OAuth2) or the Gemini API (API key). One
 * instance serves one API; register two (with different ids) to use both. Credentials are read
 * lazily, so creating the provider never fails for a missing key; using it does, clearly.
 */
export function createGoogleImageProvider(settings: GoogleImageProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'google';
  const api = inferApi(settings);
  const models = catalogFor(id, api, settings.models);
  const client = new GoogleClient(settings, id, api);
  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: googleImageOptionsSchema,
    generate: (call, context) => callGoogle(client, settings, { ...call, operation: 'generate' }, context),
    edit: (call, context) => callGoogle(client, settings, { ...call, operation: 'edit' }, context),
    async verify(): Promise<void> {
      if (api === 'gemini') {
        client.apiKey();
        return;
      }
      await client.tokenSource().getToken(AbortSignal.timeout(30_000));
    },
    async dispose(): Promise<void> {
      client.reset();
    },
  };
}

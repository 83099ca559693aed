import {
  type FetchFunction,
  GatewayError,
  type ImageProvider,
  type ModelDescriptorInput,
  mergeCatalog,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  providerFetch,
  readJsonBody,
  throwIfAborted,
} from '@pixelgate/core';
import type { GoogleAuthOptions } from 'google-auth-library';
import { buildGeminiBody, parseGeminiResponse } from './gemini-generate.ts';
import { createVertexTokenSource, type ServiceAccountKey, type VertexTokenSource } from './google-auth.ts';
import { type GoogleApi, readModelData } from './google-model-data.ts';
import { upstreamModelId } from './google-shared.ts';
import { googleImageModels } from './imagen-catalog.ts';
import { mapGoogleHttpError } from './imagen-error.ts';
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

/**
 * Google's image models as one pixelgate provider: Imagen through `:predict` and Gemini image
 * models through `generateContent`, on Vertex AI (OAuth2) or the Gemini API (API key). One
 * instance serves one API; register two (with different ids) to use both. Credentials are read
 * lazily, so creating the provider never fails for a missing key; using it does, clearly.
 */
export function createGoogleImageProvider(settings: GoogleImageProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'google';
  const api = inferApi(settings);
  const models = mergeCatalog(id, googleImageModels(api), settings.models);
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
  const maxBytes = settings.maxResponseBytes ?? 128 * 1024 * 1024;
  let tokenSource: VertexTokenSource | undefined;
  const getTokenSource = (): VertexTokenSource => {
    tokenSource ??= createVertexTokenSource({
      provider: id,
      accessToken: settings.accessToken,
      credentials: settings.credentials,
      keyFilename: settings.keyFilename,
      googleAuthOptions: settings.googleAuthOptions,
      eagerRefreshThresholdMillis: settings.eagerRefreshThresholdMillis,
      fetch: settings.fetch,
    });
    return tokenSource;
  };
  let cachedApiKey: string | undefined;
  const apiKey = (): string => {
    // core's loadApiKey reads one environment variable; Google documents two.
    cachedApiKey ??= settings.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
    if (!cachedApiKey) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${id}: no Gemini API key. Pass apiKey to the provider factory or set GEMINI_API_KEY (or GOOGLE_API_KEY).`,
        { provider: id },
      );
    }
    return cachedApiKey;
  };

  const vertexUrl = async (model: string, method: string, location: string): Promise<string> => {
    const project =
      settings.project ?? process.env.GOOGLE_CLOUD_PROJECT ?? (await getTokenSource().projectId());
    if (!project) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${id}: no Google Cloud project. Pass project to the provider factory or set GOOGLE_CLOUD_PROJECT.`,
        { provider: id },
      );
    }
    const host =
      settings.baseURL?.replace(/\/+$/, '') ??
      (location === 'global'
        ? 'https://aiplatform.googleapis.com'
        : `https://${location}-aiplatform.googleapis.com`);
    const version = settings.vertexApiVersion ?? 'v1';
    return `${host}/${version}/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(model)}:${method}`;
  };

  const geminiUrl = (model: string, method: string): string => {
    const host = settings.baseURL?.replace(/\/+$/, '') ?? 'https://generativelanguage.googleapis.com';
    return `${host}/v1beta/models/${encodeURIComponent(model)}:${method}`;
  };

  async function post(
    url: string,
    body: unknown,
    context: ProviderCallContext,
  ): Promise<{ json: unknown; secrets: Array<string | undefined> }> {
    const byokKey = context.credentials?.apiKey;
    const byokToken = context.credentials?.accessToken;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { ...settings.headers, 'content-type': 'application/json' };
      let secrets: Array<string | undefined> = [byokKey, byokToken, settings.apiKey];
      if (api === 'gemini') {
        const key = byokKey ?? apiKey();
        headers['x-goog-api-key'] = key;
        secrets.push(key);
      } else {
        const token = byokToken ?? (await getTokenSource().getToken(context.signal));
        headers.authorization = `Bearer ${token}`;
        secrets = [...secrets, token, ...getTokenSource().secrets()];
      }
      throwIfAborted(context.signal, id);
      const response = await providerFetch(
        url,
        { method: 'POST', headers, body: JSON.stringify(body) },
        { provider: id, fetch: settings.fetch, signal: context.signal, secrets },
      );
      if (response.ok) {
        const json = await readJsonBody(response, { provider: id, maxBytes, signal: context.signal });
        return { json, secrets };
      }
      let errorBody: unknown;
      try {
        errorBody = await readJsonBody(response, {
          provider: id,
          maxBytes: 1024 * 1024,
          signal: context.signal,
        });
      } catch (error) {
        if (GatewayError.isInstance(error) && (error.code === 'ABORTED' || error.code === 'TIMEOUT'))
          throw error;
        errorBody = undefined;
      }
      // A library-managed token the server refused (revoked, clock skew): fetch a fresh one once.
      if (
        response.status === 401 &&
        api === 'vertex' &&
        !byokToken &&
        attempt === 0 &&
        getTokenSource().refreshable
      ) {
        getTokenSource().invalidate();
        continue;
      }
      throw mapGoogleHttpError({
        provider: id,
        status: response.status,
        headers: response.headers,
        body: errorBody,
        secrets,
      });
    }
    /* c8 ignore next */
    throw new GatewayError('INTERNAL_ERROR', `${id}: unreachable`);
  }

  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: googleImageOptionsSchema,
    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      throwIfAborted(context.signal, id);
      const data = readModelData(call.model);
      const model = upstreamModelId(call.model, data);
      const retryEmpty = settings.retryEmptyResults ?? false;
      if (data.family === 'imagen') {
        const { body, warnings } = buildImagenBody(call, data, api, id);
        const location =
          data.vertexLocation ?? settings.location ?? process.env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
        const url =
          api === 'vertex' ? await vertexUrl(model, 'predict', location) : geminiUrl(model, 'predict');
        const { json, secrets } = await post(url, body, context);
        const result = parseImagenResponse(json, call, id, secrets);
        return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
      }
      const { body, warnings } = buildGeminiBody(call, data, api, id);
      const location =
        data.vertexLocation ?? settings.location ?? process.env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
      const url =
        api === 'vertex'
          ? await vertexUrl(model, 'generateContent', location)
          : geminiUrl(model, 'generateContent');
      const { json, secrets } = await post(url, body, context);
      const result = parseGeminiResponse(json, call, id, secrets, retryEmpty);
      return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
    },
    async verify(): Promise<void> {
      if (api === 'gemini') {
        apiKey();
        return;
      }
      await getTokenSource().getToken(AbortSignal.timeout(30_000));
    },
    async dispose(): Promise<void> {
      tokenSource = undefined;
      cachedApiKey = undefined;
    },
  };
}

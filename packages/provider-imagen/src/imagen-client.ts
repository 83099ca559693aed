/**
 * The wire side of the Google provider: credentials (a Gemini API key or Vertex OAuth2 tokens,
 * both read lazily), model URLs on either API, and one POST with the error mapping and a single
 * token refresh when Vertex refuses a library-managed token.
 */
import {
  GatewayError,
  type ProviderCallContext,
  providerFetch,
  readJsonBody,
  throwIfAborted,
} from '@pixelgate/core/provider-utils';
import { createVertexTokenSource, type VertexTokenSource } from './google-auth.ts';
import type { GoogleApi } from './google-model-data.ts';
import { mapGoogleHttpError } from './imagen-error.ts';
import type { GoogleImageProviderSettings } from './imagen-provider.ts';

const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** One provider instance's connection to Google: credentials, URLs and the POST. */
export class GoogleClient {
  readonly #settings: GoogleImageProviderSettings;
  readonly #maxBytes: number;
  #tokenSource: VertexTokenSource | undefined;
  #apiKey: string | undefined;

  constructor(
    settings: GoogleImageProviderSettings,
    readonly id: string,
    readonly api: GoogleApi,
  ) {
    this.#settings = settings;
    this.#maxBytes = settings.maxResponseBytes ?? 128 * 1024 * 1024;
  }

  /** The Vertex token source, created on first use. */
  tokenSource(): VertexTokenSource {
    const settings = this.#settings;
    this.#tokenSource ??= createVertexTokenSource({
      provider: this.id,
      accessToken: settings.accessToken,
      credentials: settings.credentials,
      keyFilename: settings.keyFilename,
      googleAuthOptions: settings.googleAuthOptions,
      eagerRefreshThresholdMillis: settings.eagerRefreshThresholdMillis,
      fetch: settings.fetch,
    });
    return this.#tokenSource;
  }

  /** The Gemini API key: the setting, else GEMINI_API_KEY, else GOOGLE_API_KEY (Google documents both). */
  apiKey(): string {
    this.#apiKey ??= this.#settings.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
    if (!this.#apiKey) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${this.id}: no Gemini API key. Pass apiKey to the provider factory or set GEMINI_API_KEY (or GOOGLE_API_KEY).`,
        { provider: this.id },
      );
    }
    return this.#apiKey;
  }

  /** The URL of `method` (`predict`, `generateContent`) of `model` on this instance's API. */
  async modelUrl(model: string, method: string, vertexLocation: string | undefined): Promise<string> {
    const settings = this.#settings;
    const base = settings.baseURL?.replace(/\/+$/, '');
    if (this.api === 'gemini') {
      return `${base ?? 'https://generativelanguage.googleapis.com'}/v1beta/models/${encodeURIComponent(model)}:${method}`;
    }
    const location =
      vertexLocation ?? settings.location ?? process.env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
    const project =
      settings.project ?? process.env.GOOGLE_CLOUD_PROJECT ?? (await this.tokenSource().projectId());
    if (!project) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${this.id}: no Google Cloud project. Pass project to the provider factory or set GOOGLE_CLOUD_PROJECT.`,
        { provider: this.id },
      );
    }
    const host =
      base ??
      (location === 'global'
        ? 'https://aiplatform.googleapis.com'
        : `https://${location}-aiplatform.googleapis.com`);
    const version = settings.vertexApiVersion ?? 'v1';
    return `${host}/${version}/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(model)}:${method}`;
  }

  /** Credentials for one attempt: the tenant's own key or token first (bring-your-own-key). */
  async #auth(
    context: ProviderCallContext,
  ): Promise<{ headers: Record<string, string>; secrets: Array<string | undefined> }> {
    const byokKey = context.credentials?.apiKey;
    const byokToken = context.credentials?.accessToken;
    const secrets: Array<string | undefined> = [byokKey, byokToken, this.#settings.apiKey];
    if (this.api === 'gemini') {
      const key = byokKey ?? this.apiKey();
      return { headers: { 'x-goog-api-key': key }, secrets: [...secrets, key] };
    }
    const token = byokToken ?? (await this.tokenSource().getToken(context.signal));
    return {
      headers: { authorization: `Bearer ${token}` },
      secrets: [...secrets, token, ...this.tokenSource().secrets()],
    };
  }

  /** Reads a failed answer's body as JSON when it is, never failing on a cut or non-JSON one. */
  async #errorBody(response: Response, signal: AbortSignal): Promise<unknown> {
    try {
      return await readJsonBody(response, { provider: this.id, maxBytes: MAX_ERROR_BODY_BYTES, signal });
    } catch (error) {
      if (GatewayError.isInstance(error) && (error.code === 'ABORTED' || error.code === 'TIMEOUT'))
        throw error;
      return undefined;
    }
  }

  /**
   * POSTs `body` and returns the parsed answer with the secrets used, for the parsers' redaction.
   * A library-managed Vertex token the server refuses (revoked, clock skew) is refreshed once.
   */
  async post(
    url: string,
    body: unknown,
    context: ProviderCallContext,
  ): Promise<{ json: unknown; secrets: Array<string | undefined> }> {
    for (let attempt = 0; ; attempt++) {
      const auth = await this.#auth(context);
      throwIfAborted(context.signal, this.id);
      const response = await providerFetch(
        url,
        {
          method: 'POST',
          headers: { ...this.#settings.headers, 'content-type': 'application/json', ...auth.headers },
          body: JSON.stringify(body),
        },
        { provider: this.id, fetch: this.#settings.fetch, signal: context.signal, secrets: auth.secrets },
      );
      if (response.ok) {
        const json = await readJsonBody(response, {
          provider: this.id,
          maxBytes: this.#maxBytes,
          signal: context.signal,
        });
        return { json, secrets: auth.secrets };
      }
      const errorBody = await this.#errorBody(response, context.signal);
      const refreshable =
        this.api === 'vertex' && !context.credentials?.accessToken && this.tokenSource().refreshable;
      if (response.status === 401 && attempt === 0 && refreshable) {
        this.tokenSource().invalidate();
        continue;
      }
      throw mapGoogleHttpError({
        provider: this.id,
        status: response.status,
        headers: response.headers,
        body: errorBody,
        secrets: auth.secrets,
      });
    }
  }

  /** Forgets cached credentials (on dispose). */
  reset(): void {
    this.#tokenSource = undefined;
    this.#apiKey = undefined;
  }
}

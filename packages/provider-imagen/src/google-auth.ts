import { readFileSync } from 'node:fs';
import {
  abortErrorFrom,
  BackendError,
  type FetchFunction,
  GatewayError,
  redactSecrets,
} from '@pixelgate/core/provider-utils';
import { GoogleAuth, type GoogleAuthOptions } from 'google-auth-library';

/** The scope Vertex AI needs (the one Google's own SDK asks for). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The token endpoint google-auth-library posts service-account assertions to. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The fields of a service-account key file this package reads. */
export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  /** The OAuth2 token endpoint; honoured even though google-auth-library hard-codes Google's. */
  token_uri?: string;
  universe_domain?: string;
  [key: string]: unknown;
}

/** How the Vertex route obtains bearer tokens. */
export interface VertexTokenSourceOptions {
  provider: string;
  /** A caller-supplied token function; called once per upstream request (the caller caches). */
  accessToken?: (() => Promise<string>) | undefined;
  /** A service-account key (object or JSON text). */
  credentials?: ServiceAccountKey | string | undefined;
  /** Path to a service-account key file. */
  keyFilename?: string | undefined;
  /** Passed to google-auth-library for anything else (ADC, impersonation, external accounts). */
  googleAuthOptions?: GoogleAuthOptions | undefined;
  /** Refresh this long before expiry (default 5 minutes, google-auth-library's default). */
  eagerRefreshThresholdMillis?: number | undefined;
  /** The plugin's fetch seam; token requests go through it too. */
  fetch?: FetchFunction | undefined;
}

/** A source of bearer tokens with a way to drop a token the server refused. */
export interface VertexTokenSource {
  /** A valid token, from cache when fresh. */
  getToken(signal: AbortSignal): Promise<string>;
  /** Forget the cached token (after a 401), so the next call fetches a fresh one. */
  invalidate(): void;
  /** The project id from the credentials, when they carry one. */
  projectId(): Promise<string | undefined>;
  /** Strings that must never appear in errors (private key, current token). */
  secrets(): string[];
  /** True when tokens come from google-auth-library (and so can be refreshed on a 401). */
  readonly refreshable: boolean;
}

function readKeyFile(path: string, provider: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${provider}: cannot read the key file named by keyFilename.`,
      {
        provider,
      },
    );
  }
}

/** The token_uri of the key named by GOOGLE_APPLICATION_CREDENTIALS, if it is a readable key. */
function adcTokenUri(): string | undefined {
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!path) return undefined;
  try {
    const value = (JSON.parse(readFileSync(path, 'utf8')) as { token_uri?: unknown }).token_uri;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseKey(credentials: ServiceAccountKey | string, provider: string): ServiceAccountKey {
  if (typeof credentials !== 'string') return credentials;
  try {
    return JSON.parse(credentials) as ServiceAccountKey;
  } catch {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${provider}: \`credentials\` is not valid service-account JSON.`,
      {
        provider,
      },
    );
  }
}

/**
 * Wraps a fetch so that google-auth-library's hard-coded token endpoint is replaced by the key's own
 * `token_uri`. Keys for private deployments, emulators and tests carry their own endpoint;
 * ignoring it would send a signed assertion to the wrong server.
 */
function tokenUriFetch(base: FetchFunction, tokenUri: string | undefined): FetchFunction {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL && url.startsWith(GOOGLE_TOKEN_URL)) {
      return base(tokenUri, init);
    }
    return base(input, init);
  };
}

/** Races a promise against a signal, so a slow token endpoint still honours abort and deadline. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal, provider: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortErrorFrom(signal, provider));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortErrorFrom(signal, provider));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Builds the Vertex token source: a caller's function, or google-auth-library with a service
 * account or application default credentials. The library caches tokens and refreshes them
 * `eagerRefreshThresholdMillis` before expiry; concurrent first calls share one token request.
 * Errors never carry the library's error object (its request config holds the signed assertion).
 */
export function createVertexTokenSource(options: VertexTokenSourceOptions): VertexTokenSource {
  const provider = options.provider;
  let lastToken: string | undefined;
  if (options.accessToken) {
    const fn = options.accessToken;
    return {
      refreshable: false,
      async getToken(signal) {
        let token: string;
        try {
          token = await withSignal(fn(), signal, provider);
        } catch (error) {
          if (GatewayError.isInstance(error)) throw error;
          throw new BackendError(`${provider}: the accessToken function failed.`, {
            reason: 'upstream_auth',
            provider,
          });
        }
        if (typeof token !== 'string' || token.length === 0) {
          throw new GatewayError(
            'CONFIGURATION_ERROR',
            `${provider}: the accessToken function returned no token.`,
            {
              provider,
            },
          );
        }
        lastToken = token;
        return token;
      },
      invalidate() {},
      async projectId() {
        return undefined;
      },
      secrets: () => (lastToken ? [lastToken] : []),
    };
  }

  let key: ServiceAccountKey | undefined;
  let tokenUri: string | undefined;
  let auth: GoogleAuth | undefined;
  let resolvedClient: { credentials: { expiry_date?: number | null } } | undefined;
  let inFlight: Promise<string> | undefined;
  const baseFetch: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const getAuth = (): GoogleAuth => {
    if (auth) return auth;
    // Keys are read here, not at construction, so a provider can be created before the file exists.
    if (options.credentials !== undefined) key = parseKey(options.credentials, provider);
    else if (options.keyFilename) key = parseKey(readKeyFile(options.keyFilename, provider), provider);
    tokenUri = key?.token_uri ?? adcTokenUri();
    const userClientOptions = (options.googleAuthOptions?.clientOptions ?? {}) as Record<string, unknown>;
    auth = new GoogleAuth({
      ...options.googleAuthOptions,
      scopes: options.googleAuthOptions?.scopes ?? [CLOUD_PLATFORM_SCOPE],
      ...(key ? { credentials: key } : {}),
      clientOptions: {
        ...userClientOptions,
        ...(options.eagerRefreshThresholdMillis === undefined
          ? {}
          : { eagerRefreshThresholdMillis: options.eagerRefreshThresholdMillis }),
        transporterOptions: {
          ...(userClientOptions.transporterOptions as object | undefined),
          fetchImplementation: tokenUriFetch(baseFetch, tokenUri) as never,
        },
      },
    });
    return auth;
  };

  const describe = (error: unknown): string => {
    const message = error instanceof Error ? error.message : String(error);
    return redactSecrets(message, [key?.private_key, lastToken]).slice(0, 300);
  };

  const fetchToken = async (): Promise<string> => {
    let client: Awaited<ReturnType<GoogleAuth['getClient']>>;
    try {
      client = await getAuth().getClient();
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${provider}: no usable Google credentials (${describe(error)}). Pass credentials, keyFilename or accessToken, or set up application default credentials.`,
        { provider },
      );
    }
    resolvedClient = client;
    try {
      const { token } = await client.getAccessToken();
      if (!token) throw new Error('the token endpoint returned no access_token');
      lastToken = token;
      return token;
    } catch (error) {
      // A refusal by the token endpoint (4xx) is an auth failure; an unreachable or failing
      // endpoint (no status, 5xx) is transient and may be retried.
      const status =
        (error as { status?: unknown; response?: { status?: unknown } }).response?.status ??
        (error as { status?: unknown }).status;
      const refused = typeof status === 'number' && status >= 400 && status < 500;
      throw new BackendError(`${provider}: could not obtain an OAuth2 access token: ${describe(error)}`, {
        reason: refused ? 'upstream_auth' : 'upstream_unavailable',
        provider,
        ...(typeof status === 'number' ? { upstreamStatus: status } : {}),
      });
    }
  };

  return {
    refreshable: true,
    async getToken(signal) {
      if (!inFlight) {
        inFlight = fetchToken().finally(() => {
          inFlight = undefined;
        });
      }
      return withSignal(inFlight, signal, provider);
    },
    invalidate() {
      // Marks the cached token as expired (keeping the client's other state, such as the JWT
      // client's placeholder refresh token) so the next call exchanges the assertion anew.
      if (resolvedClient) resolvedClient.credentials = { ...resolvedClient.credentials, expiry_date: 1 };
    },
    async projectId() {
      const googleAuth = getAuth();
      if (key?.project_id) return key.project_id;
      try {
        return (await googleAuth.getProjectId()) ?? undefined;
      } catch {
        return undefined;
      }
    },
    secrets: () =>
      [key?.private_key, lastToken].filter((value): value is string => typeof value === 'string'),
  };
}

import { createHash, createVerify, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawTestImage } from '@pixelgate/core/provider-utils';
import type { ServiceAccountKey } from '../google-auth.ts';
import type { GoogleApi } from '../google-model-data.ts';
import { googleImageModels } from '../imagen-catalog.ts';

/** One model as the fake serves it: the facts its validation and answers are made from. */
export interface FakeImagenModel {
  id: string;
  family: 'imagen' | 'gemini';
  /** APIs that serve it. */
  apis: GoogleApi[];
  /** Ratio to pixel size at the base tier. */
  aspectRatios: Record<string, string>;
  /** Larger tiers (`2K`, `4K`): ratio to pixel size. */
  sizeTiers: Record<string, Record<string, string>>;
  /** Name of the base tier when the model accepts it explicitly (`1K`). */
  baseTier?: string;
  /** What the model encodes when not told otherwise. */
  mimeType: 'image/png' | 'image/jpeg';
  /** Imagen's `sampleCount` limit. */
  maxSampleCount: number;
  /** Vertex locations that serve it; undefined means any. */
  vertexLocations?: string[];
  /** A shut-down model answers 404 like an unknown one. */
  shutDown?: boolean;
  /** IMAGE output tokens per image (Gemini usage). */
  imageTokens?: number;
}

/**
 * What the next model request answers. Strings are the common cases (the conformance kit's names
 * included); objects carry a parameter.
 */
export type FakeImagenScenario =
  | 'success'
  | 'unauthorized'
  | 'permission_denied'
  | 'rate_limited'
  | 'server_error'
  | 'unavailable'
  | 'malformed'
  | 'truncated'
  | 'content_filtered'
  | 'prompt_blocked'
  | 'slow'
  | 'not_found'
  | 'no_image'
  | 'text_only'
  | 'multiple_images'
  | 'thoughts'
  | 'unknown_finish_reason'
  | { type: 'filter'; count: number }
  | { type: 'finish'; finishReason: string; finishMessage?: string }
  | { type: 'prompt_feedback'; blockReason: string }
  | { type: 'rate_limited'; retryDelay: string | null }
  | { type: 'flagged'; categories: string[] }
  | { type: 'delay'; ms: number };

/** Points where the real API's behaviour is UNCONFIRMED: `reject` answers 400, `ignore` drops the value. */
export interface FakeImagenBehaviour {
  /** Imagen parameters the Gemini API refuses (negativePrompt, seed, enhancePrompt, addWatermark:false, labels, storageUri). */
  imagenOnGeminiApi: 'reject' | 'ignore';
  /** Imagen `seed` while the watermark is on. */
  seedWithWatermark: 'reject' | 'ignore';
  /** Gemini `imageSize` a model does not support. */
  unsupportedImageSize: 'reject' | 'ignore';
  /** Vertex-only `imageConfig` fields (personGeneration, prominentPeople, imageOutputOptions) on the Gemini API. */
  vertexOnlyImageConfig: 'reject' | 'ignore';
  /** Gemini aspect ratio when the request names none. */
  geminiDefaultAspectRatio: string;
}

/** Settings of {@link startFakeImagenServer}. */
export interface FakeImagenServerOptions {
  /** Accepted Gemini API keys (default: one random key, see `apiKey`). */
  apiKeys?: string[];
  /** Bearer tokens accepted on Vertex without a token exchange (for caller-supplied token functions). */
  staticAccessTokens?: string[];
  /** Lifetime of issued access tokens in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
  /** The served models (default: the package catalog of both APIs). */
  models?: FakeImagenModel[];
  /** How long the `slow` scenario waits before answering (default 5000 ms). */
  slowMs?: number;
  /** Pixel scale for rendered images (default 1). Below 1 renders smaller images, for quick tests. */
  renderScale?: number;
  behaviour?: Partial<FakeImagenBehaviour>;
}

/** One request the fake received, secrets removed. */
export interface FakeImagenRequest {
  /** Full URL, on the fake's own origin. */
  url: string;
  path: string;
  api: GoogleApi | 'token' | 'unknown';
  model?: string;
  method?: string;
  location?: string;
  /** Parsed JSON body (token requests: the form fields without the assertion). */
  body: unknown;
  /** Whether a credential header was present. */
  authenticated: boolean;
}

/** A running fake Google server. */
export interface FakeImagenServer {
  /** `http://127.0.0.1:<port>`: the `baseURL` for both routes. */
  readonly url: string;
  /** The token endpoint, for service-account keys' `token_uri`. */
  readonly tokenUri: string;
  /** A valid Gemini API key. */
  readonly apiKey: string;
  /** Every request received, in order. */
  readonly requests: FakeImagenRequest[];
  /** Token exchanges answered successfully. */
  readonly tokensIssued: number;
  /** Queues scenarios for the next model requests (one each, then back to success). */
  enqueue(...scenarios: FakeImagenScenario[]): void;
  /** Makes the next token request fail with this HTTP status (400 invalid_grant, 500...). */
  failNextTokenRequest(status: number): void;
  /** Changes the lifetime of tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  /** Forgets every issued token, so their next use answers 401. */
  revokeAccessTokens(): void;
  /** A fresh service-account key (RSA, made with node:crypto) whose token_uri is this server. */
  createServiceAccountKey(options?: { projectId?: string; clientEmail?: string }): ServiceAccountKey;
  /** Stops the server and drops every connection and pending timer. */
  close(): Promise<void>;
}

const ERROR_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const PERSON_GENERATION = ['dont_allow', 'allow_adult', 'allow_all'];
const SAFETY_SETTINGS = [
  'block_low_and_above',
  'block_medium_and_above',
  'block_only_high',
  'block_none',
  'block_most',
  'block_some',
  'block_few',
  'block_fewest',
];
const LANGUAGES = ['auto', 'en', 'ja', 'ko', 'hi', 'zh', 'zh-cn', 'zh-tw', 'pt', 'es'];
const GEMINI_IMAGE_TOKENS: Record<string, number> = {
  'gemini-2.5-flash-image': 1290,
  'gemini-3-pro-image': 1120,
  'gemini-3-pro-image-preview': 1120,
  'gemini-3.1-flash-image': 1120,
  'gemini-3.1-flash-image-preview': 1120,
};

/** The package catalog of both APIs, as the fake's model table. */
export function defaultFakeImagenModels(): FakeImagenModel[] {
  const table = new Map<string, FakeImagenModel>();
  // Gemini image models encode the same way on both routes; the Gemini API catalog names the encoding.
  const nativeFormat = new Map(
    googleImageModels('gemini').map((model) => [model.id, model.capabilities.outputFormats?.[0]]),
  );
  for (const api of ['vertex', 'gemini'] as const) {
    for (const model of googleImageModels(api)) {
      const existing = table.get(model.id);
      if (existing) {
        existing.apis.push(api);
        continue;
      }
      const data = model.providerData as {
        family: 'imagen' | 'gemini';
        sizeTiers?: Record<string, Record<string, string>>;
        baseTier?: string;
        vertexLocation?: string;
      };
      const native = data.family === 'gemini' ? (nativeFormat.get(model.id) ?? 'png') : 'png';
      table.set(model.id, {
        id: model.id,
        family: data.family,
        apis: [api],
        aspectRatios: { ...(model.capabilities.aspectRatios ?? {}) },
        sizeTiers: data.sizeTiers ?? {},
        ...(data.baseTier ? { baseTier: data.baseTier } : {}),
        mimeType: native === 'jpeg' ? 'image/jpeg' : 'image/png',
        maxSampleCount: data.family === 'imagen' ? 4 : 1,
        ...(data.vertexLocation ? { vertexLocations: [data.vertexLocation] } : {}),
        shutDown: model.lifecycle?.status === 'retired',
        imageTokens: GEMINI_IMAGE_TOKENS[model.id] ?? 1120,
      });
    }
  }
  return [...table.values()];
}

function base64url(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function rpcError(code: number, message: string, details: unknown[] = []): { status: number; body: unknown } {
  return {
    status: code,
    body: { error: { code, message, status: ERROR_STATUS[code] ?? 'UNKNOWN', details } },
  };
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('fake failure');
  }
}

function fail(code: number, message: string, details: unknown[] = []): never {
  const { status, body } = rpcError(code, message, details);
  throw new HttpFailure(status, body);
}

/**
 * Starts a fake of Google's image APIs on 127.0.0.1 (random port): Vertex AI
 * (`/{v1,v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{m}:{predict,generateContent,streamGenerateContent}`,
 * bearer tokens), the Gemini API (`/v1beta/models/{m}:{predict,generateContent,streamGenerateContent}`, `x-goog-api-key`
 * or `?key=`) and an OAuth2 token endpoint verifying RS256 service-account assertions. It
 * validates like the reference says the real API does, renders real images of the right pixel
 * size, and answers queued scenarios (filtering, blocks, 429, 5xx, slow or cut-short bodies).
 */
export async function startFakeImagenServer(
  options: FakeImagenServerOptions = {},
): Promise<FakeImagenServer> {
  const apiKey = options.apiKeys?.[0] ?? `AIzaFake${randomBytes(16).toString('hex')}`;
  const apiKeys = new Set(options.apiKeys ?? [apiKey]);
  const accessTokens = new Map<string, number>();
  for (const token of options.staticAccessTokens ?? []) accessTokens.set(token, Number.POSITIVE_INFINITY);
  const serviceAccounts = new Map<string, KeyObject>();
  const models = new Map((options.models ?? defaultFakeImagenModels()).map((model) => [model.id, model]));
  const behaviour: FakeImagenBehaviour = {
    imagenOnGeminiApi: 'reject',
    seedWithWatermark: 'reject',
    unsupportedImageSize: 'reject',
    vertexOnlyImageConfig: 'reject',
    geminiDefaultAspectRatio: '1:1',
    ...options.behaviour,
  };
  const slowMs = options.slowMs ?? 5000;
  const scale = options.renderScale ?? 1;
  let tokenLifetime = options.tokenLifetimeSeconds ?? 3600;
  let tokensIssued = 0;
  const tokenFailures: number[] = [];
  const scenarios: FakeImagenScenario[] = [];
  const requests: FakeImagenRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let url = '';
  let responseCounter = 0;

  const render = async (
    size: string,
    mimeType: string,
    prompt: string,
    seed: number,
    compressionQuality?: number,
  ) => {
    const [w, h] = size.split('x').map(Number) as [number, number];
    // compressionQuality is checked on the way in; a drawn test image looks the same at any quality.
    void compressionQuality;
    const bytes = drawTestImage({
      width: Math.max(1, Math.round(w * scale)),
      height: Math.max(1, Math.round(h * scale)),
      format: mimeType === 'image/jpeg' ? 'jpeg' : 'png',
      prompt,
      seed,
    });
    return Buffer.from(bytes).toString('base64');
  };

  const nextScenario = (): FakeImagenScenario => scenarios.shift() ?? 'success';

  // ---- token endpoint -------------------------------------------------------------------------
  const handleToken = (raw: string): { status: number; body: unknown } => {
    const form = new URLSearchParams(raw);
    requests.push({
      url: `${url}/token`,
      path: '/token',
      api: 'token',
      body: { grant_type: form.get('grant_type') },
      authenticated: form.has('assertion'),
    });
    const failure = tokenFailures.shift();
    if (failure !== undefined) {
      return failure >= 500
        ? {
            status: failure,
            body: { error: 'internal_failure', error_description: 'The token service failed.' },
          }
        : {
            status: failure,
            body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
          };
    }
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' },
      };
    }
    const assertion = form.get('assertion') ?? '';
    const [header, payload, signature] = assertion.split('.');
    if (!header || !payload || !signature) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT.' } };
    }
    let claims: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number };
    try {
      const head = JSON.parse(base64url(header).toString('utf8')) as { alg?: string };
      if (head.alg !== 'RS256') throw new Error('alg');
      claims = JSON.parse(base64url(payload).toString('utf8')) as typeof claims;
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT.' } };
    }
    const publicKey = claims.iss ? serviceAccounts.get(claims.iss) : undefined;
    if (!publicKey)
      return {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
      };
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(publicKey, base64url(signature))) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    }
    const now = Math.floor(Date.now() / 1000);
    // google-auth-library signs for Google's endpoint whatever token_uri says; accept both.
    if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== `${url}/token`) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: aud.' } };
    }
    if (typeof claims.exp !== 'number' || claims.exp < now) {
      return {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'Invalid JWT: Token must be a short-lived token.',
        },
      };
    }
    if (!claims.scope?.split(' ').includes('https://www.googleapis.com/auth/cloud-platform')) {
      return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope.' } };
    }
    const token = `ya29.fake-${randomBytes(24).toString('hex')}`;
    accessTokens.set(token, Date.now() + tokenLifetime * 1000);
    tokensIssued++;
    return { status: 200, body: { access_token: token, expires_in: tokenLifetime, token_type: 'Bearer' } };
  };

  // ---- auth per route ---------------------------------------------------------------------------
  const checkVertexAuth = (req: IncomingMessage) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
    const expires = token ? accessTokens.get(token) : undefined;
    if (!token || expires === undefined || expires < Date.now()) {
      fail(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
            domain: 'googleapis.com',
          },
        ],
      );
    }
  };

  const invalidKey = () =>
    fail(400, 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ]);

  const checkGeminiAuth = (req: IncomingMessage, query: URLSearchParams) => {
    const header = req.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? query.get('key') ?? undefined;
    if (!key) {
      fail(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'CONSUMER_INVALID',
            domain: 'googleapis.com',
          },
        ],
      );
    }
    if (!apiKeys.has(key)) invalidKey();
  };

  // ---- scenario errors shared by both families --------------------------------------------------
  const scenarioError = (scenario: FakeImagenScenario, api: GoogleApi, model: string) => {
    const kind = typeof scenario === 'string' ? scenario : scenario.type;
    switch (kind) {
      case 'unauthorized':
        if (api === 'gemini') invalidKey();
        return fail(
          401,
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      case 'permission_denied':
        return fail(
          403,
          "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
          [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'IAM_PERMISSION_DENIED',
              domain: 'aiplatform.googleapis.com',
              metadata: { permission: 'aiplatform.endpoints.predict' },
            },
          ],
        );
      case 'rate_limited': {
        const delay =
          typeof scenario === 'object' && scenario.type === 'rate_limited' ? scenario.retryDelay : '2s';
        const details: unknown[] =
          api === 'gemini'
            ? [
                {
                  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                  violations: [
                    {
                      quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model',
                      quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
                    },
                  ],
                },
              ]
            : [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'RATE_LIMIT_EXCEEDED',
                  domain: 'aiplatform.googleapis.com',
                },
              ];
        if (delay) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay });
        return fail(
          429,
          `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: ${model}. Please submit a quota increase request.`,
          details,
        );
      }
      case 'server_error':
        return fail(500, 'Internal error encountered.');
      case 'unavailable':
        return fail(503, 'The model is overloaded. Please try again later.');
      case 'not_found':
        return fail(
          404,
          `models/${model} is not found for API version v1beta, or is not supported for predict.`,
        );
      default:
        return undefined;
    }
  };

  // ---- Imagen :predict --------------------------------------------------------------------------
  const handlePredict = async (
    model: FakeImagenModel,
    api: GoogleApi,
    body: Record<string, unknown>,
    scenario: FakeImagenScenario,
  ) => {
    const instances = body.instances;
    const prompt =
      Array.isArray(instances) && instances.length === 1
        ? (instances[0] as { prompt?: unknown }).prompt
        : undefined;
    if (typeof prompt !== 'string' || prompt.length === 0)
      fail(400, 'instances must hold exactly one instance with a non-empty prompt.');
    const parameters = (body.parameters ?? {}) as Record<string, unknown>;
    const sampleCount = parameters.sampleCount ?? 1;
    if (
      !Number.isInteger(sampleCount) ||
      (sampleCount as number) < 1 ||
      (sampleCount as number) > model.maxSampleCount
    ) {
      fail(
        400,
        `Image generation failed with the following error: sampleCount must be between 1 and ${model.maxSampleCount}.`,
      );
    }
    const n = sampleCount as number;
    const aspectRatio = (parameters.aspectRatio ?? '1:1') as string;
    if (!(aspectRatio in model.aspectRatios)) {
      fail(
        400,
        `Image generation failed with the following error: Unsupported aspect ratio ${String(aspectRatio)}. Supported: ${Object.keys(model.aspectRatios).join(', ')}.`,
      );
    }
    let size = model.aspectRatios[aspectRatio]!;
    if (parameters.sampleImageSize !== undefined) {
      const tier = String(parameters.sampleImageSize).toUpperCase();
      if (tier !== '1K' && !model.sizeTiers[tier]) {
        fail(
          400,
          `Image generation failed with the following error: sampleImageSize ${String(parameters.sampleImageSize)} is not supported by ${model.id}.`,
        );
      }
      if (tier !== '1K') size = model.sizeTiers[tier]![aspectRatio]!;
    }
    if (api === 'gemini') {
      const refused = ['negativePrompt', 'seed', 'enhancePrompt', 'storageUri'].filter(
        (name) => parameters[name] !== undefined,
      );
      if (parameters.addWatermark === false) refused.push('addWatermark');
      if (body.labels !== undefined) refused.push('labels');
      if (refused.length > 0 && behaviour.imagenOnGeminiApi === 'reject') {
        fail(
          400,
          `${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not supported in the Gemini API.`,
        );
      }
    } else if (
      parameters.seed !== undefined &&
      parameters.addWatermark !== false &&
      behaviour.seedWithWatermark === 'reject'
    ) {
      fail(
        400,
        'Image generation failed with the following error: Seed is not supported when watermark is enabled.',
      );
    }
    const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
    if (
      parameters.personGeneration !== undefined &&
      !PERSON_GENERATION.includes(lower(parameters.personGeneration) as string)
    ) {
      fail(400, `Invalid personGeneration: ${String(parameters.personGeneration)}.`);
    }
    if (
      parameters.safetySetting !== undefined &&
      !SAFETY_SETTINGS.includes(lower(parameters.safetySetting) as string)
    ) {
      fail(400, `Invalid safetySetting: ${String(parameters.safetySetting)}.`);
    }
    if (parameters.language !== undefined && !LANGUAGES.includes(lower(parameters.language) as string)) {
      fail(400, `Invalid language: ${String(parameters.language)}.`);
    }
    const outputOptions = (parameters.outputOptions ?? {}) as {
      mimeType?: unknown;
      compressionQuality?: unknown;
    };
    const mimeType = outputOptions.mimeType ?? 'image/png';
    if (mimeType !== 'image/png' && mimeType !== 'image/jpeg')
      fail(400, `Unsupported outputOptions.mimeType ${String(mimeType)}.`);
    const quality = outputOptions.compressionQuality;
    if (
      quality !== undefined &&
      (!Number.isInteger(quality) || (quality as number) < 0 || (quality as number) > 100)
    ) {
      fail(400, 'outputOptions.compressionQuality must be an integer from 0 to 100.');
    }
    if (scenario === 'prompt_blocked') {
      fail(
        400,
        "Image generation failed with the following error: The prompt could not be submitted. This prompt contains sensitive words that violate Google's Responsible AI practices. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 42876398",
      );
    }
    const includeRai = parameters.includeRaiReason === true;
    const filtered =
      scenario === 'content_filtered'
        ? n
        : typeof scenario === 'object' && scenario.type === 'filter'
          ? Math.min(n, scenario.count)
          : 0;
    const flagged = typeof scenario === 'object' && scenario.type === 'flagged' ? scenario.categories : [];
    const enhance = api === 'vertex' && parameters.enhancePrompt === true;
    const usedPrompt = enhance
      ? `${prompt}, rendered in rich detail with soft natural light and a balanced composition`
      : (prompt as string);
    const baseSeed =
      typeof parameters.seed === 'number'
        ? parameters.seed
        : Number.parseInt(
            createHash('sha256')
              .update(prompt as string)
              .digest('hex')
              .slice(0, 8),
            16,
          );
    const predictions: unknown[] = [];
    // With storageUri (Vertex), Google writes each image to Cloud Storage and answers with its gcsUri.
    const storageUri =
      api === 'vertex' && typeof parameters.storageUri === 'string' ? parameters.storageUri : undefined;
    for (let index = 0; storageUri !== undefined && index < n - filtered; index++) {
      predictions.push({
        mimeType,
        gcsUri: `${storageUri.replace(/\/+$/, '')}/${Date.now()}/sample_${index}.${mimeType === 'image/jpeg' ? 'jpg' : 'png'}`,
      });
    }
    for (let index = 0; storageUri === undefined && index < n - filtered; index++) {
      predictions.push({
        mimeType,
        bytesBase64Encoded: await render(
          size,
          mimeType,
          usedPrompt,
          baseSeed + index,
          quality as number | undefined,
        ),
        ...(enhance ? { prompt: usedPrompt } : {}),
        ...(parameters.includeSafetyAttributes === true || flagged.length > 0
          ? { safetyAttributes: { categories: flagged, scores: flagged.map(() => 0.2) } }
          : {}),
      });
    }
    if (filtered > 0 && includeRai) {
      predictions.push({
        raiFilteredReason:
          filtered === n
            ? "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage guidelines. You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 39322892, 29310472"
            : `Your current safety filter threshold filtered out ${filtered} generated images. You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback.`,
      });
    }
    if (parameters.includeSafetyAttributes === true) {
      predictions.push({ contentType: 'Positive Prompt', safetyAttributes: { categories: [], scores: [] } });
    }
    return predictions.length > 0 ? { predictions } : {};
  };

  // ---- Gemini generateContent --------------------------------------------------------------------
  const handleGenerate = async (
    model: FakeImagenModel,
    api: GoogleApi,
    body: Record<string, unknown>,
    scenario: FakeImagenScenario,
  ) => {
    const contents = body.contents;
    const parts = Array.isArray(contents)
      ? ((contents.at(-1) as { parts?: unknown })?.parts as Array<{ text?: unknown }> | undefined)
      : undefined;
    const prompt = parts
      ?.map((part) => (typeof part.text === 'string' ? part.text : ''))
      .join(' ')
      .trim();
    if (!prompt) fail(400, '* GenerateContentRequest.contents: contents is not specified');
    const config = (body.generationConfig ?? {}) as Record<string, unknown>;
    if (config.candidateCount !== undefined && config.candidateCount !== 1) {
      fail(400, `Multiple candidates is not enabled for models/${model.id}`);
    }
    const modalities = (config.responseModalities ?? ['TEXT', 'IMAGE']) as unknown[];
    const imageConfig = (config.imageConfig ?? {}) as Record<string, unknown>;
    const aspectRatio = (imageConfig.aspectRatio ?? behaviour.geminiDefaultAspectRatio) as string;
    if (!(aspectRatio in model.aspectRatios)) fail(400, `Unsupported aspect ratio: ${String(aspectRatio)}.`);
    let size = model.aspectRatios[aspectRatio]!;
    if (imageConfig.imageSize !== undefined) {
      const tier = imageConfig.imageSize as string;
      const known = tier === model.baseTier || model.sizeTiers[tier] !== undefined;
      if (!known && behaviour.unsupportedImageSize === 'reject')
        fail(400, `Unsupported image size: ${String(tier)}.`);
      if (model.sizeTiers[tier]) size = model.sizeTiers[tier]![aspectRatio]!;
    }
    const outputOptions = imageConfig.imageOutputOptions as
      | { mimeType?: string; compressionQuality?: number }
      | undefined;
    if (api === 'gemini') {
      const vertexOnly = ['personGeneration', 'prominentPeople', 'imageOutputOptions'].filter(
        (name) => imageConfig[name] !== undefined,
      );
      if (vertexOnly.length > 0 && behaviour.vertexOnlyImageConfig === 'reject') {
        fail(
          400,
          `${vertexOnly.join(', ')} ${vertexOnly.length === 1 ? 'is' : 'are'} not supported in the Gemini API.`,
        );
      }
    } else if (
      imageConfig.personGeneration !== undefined &&
      !['ALLOW_ALL', 'ALLOW_ADULT', 'ALLOW_NONE'].includes(imageConfig.personGeneration as string)
    ) {
      fail(400, `Invalid personGeneration: ${String(imageConfig.personGeneration)}.`);
    }
    const mimeType = api === 'vertex' && outputOptions?.mimeType ? outputOptions.mimeType : model.mimeType;
    if (mimeType !== 'image/png' && mimeType !== 'image/jpeg')
      fail(400, `Unsupported imageOutputOptions.mimeType ${mimeType}.`);
    const responseId = `fake-${(++responseCounter).toString(36)}-${randomBytes(4).toString('hex')}`;
    const promptTokens = Math.max(1, Math.ceil((prompt as string).length / 4));
    const usage = (images: number, textTokens: number) => ({
      promptTokenCount: promptTokens,
      candidatesTokenCount: images * (model.imageTokens ?? 1120) + textTokens,
      totalTokenCount: promptTokens + images * (model.imageTokens ?? 1120) + textTokens,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
      ...(images > 0
        ? {
            candidatesTokensDetails: [
              { modality: 'IMAGE', tokenCount: images * (model.imageTokens ?? 1120) },
            ],
          }
        : {}),
    });
    const wrap = (
      candidate: Record<string, unknown> | undefined,
      images: number,
      textTokens = 0,
      extra: Record<string, unknown> = {},
    ) => ({
      ...(candidate ? { candidates: [{ ...candidate, ...(api === 'gemini' ? { index: 0 } : {}) }] } : {}),
      ...extra,
      usageMetadata: usage(images, textTokens),
      modelVersion: model.id,
      responseId,
    });
    if (
      scenario === 'prompt_blocked' ||
      (typeof scenario === 'object' && scenario.type === 'prompt_feedback')
    ) {
      const blockReason =
        typeof scenario === 'object' && scenario.type === 'prompt_feedback'
          ? scenario.blockReason
          : 'PROHIBITED_CONTENT';
      return wrap(undefined, 0, 0, { promptFeedback: { blockReason } });
    }
    if (scenario === 'content_filtered') return wrap({ finishReason: 'IMAGE_SAFETY' }, 0);
    if (scenario === 'no_image') return wrap({ content: {}, finishReason: 'NO_IMAGE' }, 0);
    if (typeof scenario === 'object' && scenario.type === 'finish') {
      return wrap(
        {
          finishReason: scenario.finishReason,
          ...(scenario.finishMessage ? { finishMessage: scenario.finishMessage } : {}),
        },
        0,
      );
    }
    const wantText = modalities.includes('TEXT');
    if (scenario === 'text_only' || !modalities.includes('IMAGE')) {
      return wrap(
        {
          content: { role: 'model', parts: [{ text: "I can't draw that, but I can describe it." }] },
          finishReason: 'STOP',
        },
        0,
        12,
      );
    }
    const count = scenario === 'multiple_images' ? 2 : 1;
    const seed = Number.parseInt(
      createHash('sha256')
        .update(prompt as string)
        .digest('hex')
        .slice(0, 8),
      16,
    );
    const thinks = model.id.startsWith('gemini-3') || model.id.startsWith('gemini-nano');
    const outParts: unknown[] = [];
    if (scenario === 'thoughts') {
      outParts.push({ text: 'Planning the composition.', thought: true });
      outParts.push({
        inlineData: { mimeType, data: await render(size, mimeType, `draft ${prompt}`, seed + 99) },
        thought: true,
      });
    }
    if (wantText) outParts.push({ text: 'Here is your image.' });
    for (let index = 0; index < count; index++) {
      outParts.push({
        inlineData: {
          mimeType,
          data: await render(
            size,
            mimeType,
            prompt as string,
            seed + index,
            outputOptions?.compressionQuality,
          ),
        },
        ...(thinks ? { thoughtSignature: randomBytes(12).toString('base64') } : {}),
      });
    }
    const finishReason = scenario === 'unknown_finish_reason' ? 'FINISH_REASON_FROM_THE_FUTURE' : 'STOP';
    return wrap({ content: { role: 'model', parts: outParts }, finishReason }, count, wantText ? 5 : 0);
  };

  // ---- routing ----------------------------------------------------------------------------------
  const VERTEX_PATH =
    /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(predict|generateContent|streamGenerateContent)$/;
  const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):(predict|generateContent|streamGenerateContent)$/;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const parsedUrl = new URL(req.url ?? '/', url);
    const path = parsedUrl.pathname;
    if (req.method === 'POST' && path === '/token') {
      const { status, body } = handleToken(raw);
      return send(res, status, body);
    }
    const vertex = VERTEX_PATH.exec(path);
    const gemini = vertex ? null : GEMINI_PATH.exec(path);
    const api: GoogleApi | undefined = vertex ? 'vertex' : gemini ? 'gemini' : undefined;
    const modelId = decodeURIComponent(vertex?.[4] ?? gemini?.[1] ?? '');
    const method = vertex?.[5] ?? gemini?.[2];
    const location = vertex ? decodeURIComponent(vertex[3]!) : undefined;
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({
      url: `${url}${req.url ?? '/'}`,
      path,
      api: api ?? 'unknown',
      ...(api ? { model: modelId, method } : {}),
      ...(location ? { location } : {}),
      body,
      authenticated: Boolean(
        req.headers.authorization ?? req.headers['x-goog-api-key'] ?? parsedUrl.searchParams.get('key'),
      ),
    });
    if (req.method !== 'POST' || !api) return send(res, 404, rpcError(404, `Not found: ${path}`).body);
    if (api === 'vertex') checkVertexAuth(req);
    else checkGeminiAuth(req, parsedUrl.searchParams);
    if (typeof body !== 'object' || body === null) fail(400, 'Invalid JSON payload received.');

    const model = models.get(modelId);
    const notFound = () =>
      api === 'gemini'
        ? fail(
            404,
            `models/${modelId} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
          )
        : fail(
            404,
            `Publisher Model \`projects/${vertex![2]}/locations/${location}/publishers/google/models/${modelId}\` was not found or your project does not have access to it. Please ensure you are using a valid model version.`,
          );
    if (!model || model.shutDown || !model.apis.includes(api)) notFound();
    if (api === 'vertex' && model!.vertexLocations && !model!.vertexLocations.includes(location!)) notFound();
    if ((method === 'predict') !== (model!.family === 'imagen')) notFound();
    if (method === 'streamGenerateContent' && parsedUrl.searchParams.get('alt') !== 'sse') {
      fail(400, 'This fake streams only with alt=sse.');
    }

    let scenario = nextScenario();
    scenarioError(scenario, api, modelId);
    if (typeof scenario === 'object' && scenario.type === 'delay') {
      await wait(scenario.ms, req);
      scenario = 'success';
    }
    if (scenario === 'slow') {
      await wait(slowMs, req);
      if (res.destroyed) return;
    }
    if (scenario === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      return res.end('{"predictions": [{"bytesBase64Encoded": "iVBOR');
    }
    const answer =
      method === 'predict'
        ? await handlePredict(model!, api, body as Record<string, unknown>, scenario)
        : await handleGenerate(model!, api, body as Record<string, unknown>, scenario);
    if (scenario === 'truncated') {
      const text = JSON.stringify(answer);
      res.writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(text),
      });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.destroy();
      }, 10);
      timers.add(timer);
      return;
    }
    if (method === 'streamGenerateContent') return stream(res, answer as Record<string, unknown>);
    send(res, 200, answer);
  };

  /**
   * Server-sent events the way `streamGenerateContent?alt=sse` sends them: text parts one by one,
   * each image whole in its own event, and a last event with the finish reason and full usage.
   */
  const stream = (res: ServerResponse, answer: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const candidates = answer.candidates as Array<Record<string, unknown>> | undefined;
    const candidate = candidates?.[0];
    const parts = ((candidate?.content as { parts?: unknown[] } | undefined)?.parts ?? []) as unknown[];
    const { candidates: _candidates, usageMetadata, ...rest } = answer;
    const event = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\r\n\r\n`);
    if (!candidate) {
      event(answer);
      return res.end();
    }
    const { content: _content, finishReason, ...candidateRest } = candidate;
    for (const part of parts)
      event({ ...rest, candidates: [{ ...candidateRest, content: { role: 'model', parts: [part] } }] });
    event({
      ...rest,
      candidates: [{ ...candidateRest, content: { role: 'model', parts: [] }, finishReason }],
      usageMetadata,
    });
    res.end();
  };

  const wait = (ms: number, req: IncomingMessage) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timers.add(timer);
      function done() {
        clearTimeout(timer);
        timers.delete(timer);
        req.socket.off('close', done);
        resolve();
      }
      req.socket.once('close', done);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return;
        if (error instanceof HttpFailure) return send(res, error.status, error.body);
        send(res, 500, rpcError(500, 'Internal error encountered.').body);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    get url() {
      return url;
    },
    get tokenUri() {
      return `${url}/token`;
    },
    apiKey,
    requests,
    get tokensIssued() {
      return tokensIssued;
    },
    enqueue(...next) {
      scenarios.push(...next);
    },
    failNextTokenRequest(status) {
      tokenFailures.push(status);
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds;
    },
    revokeAccessTokens() {
      for (const [token, expires] of accessTokens)
        if (expires !== Number.POSITIVE_INFINITY) accessTokens.delete(token);
    },
    createServiceAccountKey(keyOptions = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const clientEmail =
        keyOptions.clientEmail ??
        `fake-${randomBytes(4).toString('hex')}@fake-project.iam.gserviceaccount.com`;
      serviceAccounts.set(clientEmail, publicKey);
      return {
        type: 'service_account',
        project_id: keyOptions.projectId ?? 'fake-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: clientEmail,
        client_id: '100000000000000000000',
        token_uri: `${url}/token`,
      };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

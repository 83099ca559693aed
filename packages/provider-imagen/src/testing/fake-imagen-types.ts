import type { ServiceAccountKey } from '../google-auth.ts';
import type { GoogleApi } from '../google-model-data.ts';

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
  /** Input images one `generateContent` request may carry (Gemini edits; 0 or absent: none). */
  maxInputImages?: number;
  /** Input tokens each input image costs (Gemini usage; UNCONFIRMED for 2.5, default 258). */
  inputImageTokens?: number;
  /** An Imagen editing model (`:predict` with `referenceImages`, e.g. imagen-3.0-capability-001). */
  editing?: boolean;
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
  /** Largest decoded inline image (Gemini `inlineData`, Imagen reference images), default 7,000,000 bytes. */
  maxInlineImageBytes?: number;
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

import type { ModelDescriptorInput } from '@pixelgate/core/spec';

/**
 * What the next upstream call answers with, instead of (or on top of) a normal success. Error
 * bodies follow the shapes in the provider reference (section 1.6), so a client tested against them
 * meets the same bodies in production.
 */
export type FakeOpenAIScenario =
  | { type: 'success' }
  /** DALL·E safety rejection: 400 `content_policy_violation`. */
  | { type: 'content_policy_violation' }
  /** GPT image safety rejection: 400 `moderation_blocked` with `moderation_details`. */
  | { type: 'moderation_blocked'; categories?: string[]; stage?: 'input' | 'output' }
  /** 429 `rate_limit_exceeded` with the given headers (default `retry-after: 2`). */
  | {
      type: 'rate_limited';
      retryAfter?: string | null;
      retryAfterMs?: string;
      resetRequests?: string;
      resetTokens?: string;
      remainingRequests?: string;
      remainingTokens?: string;
      shouldRetry?: boolean;
    }
  /** 429 `insufficient_quota`: waiting does not help. */
  | { type: 'insufficient_quota' }
  /** 401 `invalid_api_key`, echoing the key masked as OpenAI does. */
  | { type: 'unauthorized' }
  /** 403 `organization_must_be_verified`. */
  | { type: 'forbidden' }
  /** 404 `model_not_found` for the requested model. */
  | { type: 'model_not_found' }
  /** 5xx `server_error` (default 500). */
  | { type: 'server_error'; status?: number; shouldRetry?: boolean; retryAfter?: string }
  /** Wait this long (unless the client disconnects), then answer normally. */
  | { type: 'slow'; delayMs: number }
  /**
   * A 200 whose body stops half way (content-length promises more; the socket is destroyed); on
   * a stream, the connection is cut inside the second event.
   */
  | { type: 'truncated' }
  /** A 200 with an HTML body. */
  | { type: 'garbage' }
  /** A 200 whose `b64_json` decodes to text, not an image. */
  | { type: 'not_an_image' }
  /** A 200 declaring `output_format: png` while the bytes are JPEG. */
  | { type: 'wrong_format' }
  /** A 200 with `url` entries instead of `b64_json` (as some compatible servers do). */
  | { type: 'url' }
  /** A 200 with `data: []`. */
  | { type: 'empty' }
  /**
   * Streams only: after `afterEvents` events (default 1) an `error` event carrying OpenAI's error
   * object (default type `server_error`, no code), then the end of the stream.
   */
  | { type: 'stream_error'; afterEvents?: number; code?: string; errorType?: string; message?: string }
  /** Streams only: after `afterEvents` events (default 1) nothing more until the client leaves. */
  | { type: 'stream_stall'; afterEvents?: number }
  /** Any status, body and headers. */
  | { type: 'error'; status: number; body: unknown; headers?: Record<string, string> };

/** One request the fake received, for assertions on the exact wire body. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The parsed JSON body, or the raw text when it was not JSON; for multipart requests
   * `{ fields, files: [{ field, filename, declaredType, size, sha256 }] }` (never the bytes).
   */
  body: unknown;
}

/** Azure OpenAI emulation settings. */
export interface FakeAzureOptions {
  /** Deployment name -> catalog model id. */
  deployments: Record<string, string>;
  /** Accepted `api-key` (default: the server's apiKey). */
  apiKey?: string;
  /** Accepted Entra bearer token. */
  bearerToken?: string;
  /** Accepted `api-version` values (default 2024-02-01, 2024-10-21, 2025-04-01-preview). */
  apiVersions?: string[];
}

/** Settings of {@link startFakeOpenAIServer}. */
export interface FakeOpenAIServerOptions {
  /** The only bearer key accepted (default {@link FAKE_OPENAI_API_KEY}). */
  apiKey?: string;
  /** Models served and validated against (default: this package's catalog). */
  models?: ModelDescriptorInput[];
  /** Model ids answered with 404 `model_not_found` (for example those OpenAI retired). */
  unavailableModels?: string[];
  /**
   * What GPT image models do with `response_format`. The reference marks the real behaviour
   * UNCONFIRMED, so it is a setting: `reject` (default, 400 `unknown_parameter`) or `ignore`.
   */
  gptImageResponseFormat?: 'reject' | 'ignore';
  /** Azure OpenAI paths (`/openai/deployments/{d}/images/generations`). */
  azure?: FakeAzureOptions;
  /** Extra moderation trigger words per category; `flag:<category>` in the input always flags it. */
  moderationKeywords?: Record<string, string[]>;
}

/** A running fake. */
export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>` (Azure endpoint and download host). */
  url: string;
  /** `http://127.0.0.1:<port>/v1`: the `baseURL` for OpenAI clients. */
  baseURL: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queues scenarios: each applies to one later API request, in order; then answers are normal again. */
  enqueue(...scenarios: FakeOpenAIScenario[]): void;
  /** Scenarios queued and not yet used. */
  pendingScenarios(): number;
  /** Event streams currently open: a client that aborts must bring this back to 0. */
  openStreams(): number;
  /** Forgets recorded requests and queued scenarios. */
  reset(): void;
  /** Stops the server, dropping open connections and pending slow answers. */
  close(): Promise<void>;
}

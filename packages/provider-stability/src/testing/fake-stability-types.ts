import type { AspectRatioSizes, StabilityEndpoint } from '../stability-catalog.ts';
import type { StabilityEditOperation } from '../stability-edit-operations.ts';
import type { SlidingWindowLimit } from './sliding-window-limiter.ts';

/**
 * What the next request should meet. Error scenarios answer at once (after the body is read);
 * output scenarios (`content_filtered`, `slow`, `truncated`, `garbage`) shape the answer of a
 * request that passed validation. A scenario is used up by the request that takes it.
 */
export type FakeStabilityScenario =
  | 'success'
  | 'content_filtered'
  | 'moderation'
  | 'unauthorized'
  | 'rate_limited'
  | 'insufficient_credit'
  | 'not_found'
  | 'invalid_language'
  | 'server_error'
  | 'service_unavailable'
  | 'slow'
  | 'truncated'
  | 'garbage'
  | { type: 'content_filtered' /** v1: how many artifacts are filtered (default all). */; count?: number }
  | {
      type: 'rate_limited' /** Send `retry-after` with this many seconds (none by default, as documented). */;
      retryAfterSeconds?: number;
    }
  | {
      type: 'slow' /** Milliseconds before answering (default 5000), unless the client leaves first. */;
      delayMs?: number;
    }
  | { type: 'server_error'; status?: number }
  | {
      /**
       * v1 with JSON: a billed answer mixing finish reasons: the first `filtered` artifacts are
       * CONTENT_FILTERED, the next `failed` are ERROR (no image), the rest SUCCESS.
       */
      type: 'mixed_artifacts';
      filtered?: number;
      failed?: number;
    };

/** How a v1 engine checks sizes (reference 2.2). */
export type V1EngineSizeRule = 'sdxl' | '512' | '768' | 'beta';

/** Options of {@link startFakeStabilityServer}. */
export interface FakeStabilityServerOptions {
  /** Accepted API keys (default `['sk-test-stability-fake-key']`). */
  apiKeys?: string[];
  /** Ratio → pixel size per v2beta endpoint (defaults: the catalog's, partly UNCONFIRMED). */
  pixelSizes?: Partial<Record<StabilityEndpoint, AspectRatioSizes>>;
  /** Largest request body in bytes (default 10 MiB); above it the answer is 413. */
  maxRequestBytes?: number;
  /**
   * The sliding-window rate limiter: `true` for Stability's 150 per 10 s then 60 s lockout, an
   * object for other figures, false (default) for none. Counted per API key.
   */
  rateLimit?: boolean | SlidingWindowLimit;
  /** Send `retry-after` (seconds left in the lockout) on limiter 429s. Not documented, so off by default. */
  retryAfterOnRateLimit?: boolean;
  /** Clock for the limiter (tests move time without waiting). */
  now?: () => number;
  /** Engines and sd3 model ids that answer 404, as retired models do. */
  retiredModels?: string[];
  /** Extra or replacement v1 engines and their size rules. */
  v1Engines?: Record<string, V1EngineSizeRule>;
  /** What to do with fields an endpoint does not take: `reject` (400, default) or `ignore`. UNCONFIRMED. */
  unknownFields?: 'reject' | 'ignore';
  /** Send an `x-request-id` header (UNCONFIRMED for images; default true). */
  sendRequestId?: boolean;
  /** Credits on the account (default unlimited); a request that costs more than is left answers 402. */
  credits?: number;
  /** Prompts containing one of these words answer 403 content_moderation. */
  moderatedWords?: string[];
  /** Prompts containing one of these words come back CONTENT_FILTERED (a blurred image). */
  filteredWords?: string[];
  /** Per-pixel noise of rendered images, 0-1 (default 0: small files). */
  noise?: number;
  /**
   * A mask of another size than the image on the edit endpoints: `reject` (400, default: the
   * gateway always sends same-size masks, so a mismatch is a bug worth seeing) or `resize` (what
   * Stability's API reference says the real server does).
   */
  maskSizeMismatch?: 'reject' | 'resize';
  /** Credits charged per successful edit, per operation (defaults: the package's table). */
  editCredits?: Partial<Record<StabilityEditOperation, number>>;
}

/** One request as the fake server received it. */
export interface FakeStabilityRequest {
  method: string;
  /** Path and query, e.g. `/v2beta/stable-image/generate/core`. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Text fields of a multipart body. */
  fields: Record<string, string>;
  /** File fields of a multipart body (size, declared type and file name only, never the bytes). */
  files: Record<string, { size: number; type: string; filename?: string }>;
  /** Parsed JSON body (v1). */
  json?: unknown;
  /** Body size in bytes. */
  bodyBytes: number;
  /** The HTTP status answered (undefined while pending or when the client left first). */
  status?: number;
  /** True when the client disconnected before the answer was complete. */
  clientAborted: boolean;
}

/** A running fake server. */
export interface FakeStabilityServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: FakeStabilityRequest[];
  /** Credits charged so far (successful generations only). */
  readonly creditsUsed: number;
  /** Queues scenarios for the next requests, in order. */
  enqueue(...scenarios: FakeStabilityScenario[]): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  /** Clears recorded requests, queued scenarios, the limiter and the credit counter. */
  reset(): void;
  /** Stops the server, cutting open connections and pending timers. */
  close(): Promise<void>;
}

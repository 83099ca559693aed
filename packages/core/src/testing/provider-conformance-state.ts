import type { ImageProvider, ProviderCallContext } from '../provider/image-provider.ts';
import { silentLogger } from '../provider/logger.ts';

/** What a fake server can be told to do with the next upstream call. */
export type ConformanceScenario =
  | 'success'
  | 'unauthorized'
  | 'rate_limited'
  | 'server_error'
  | 'malformed'
  | 'content_filtered'
  | 'slow';

/**
 * Where a plugin's images come from: `fetch` (the default) for a plugin that calls an API through
 * `context.fetch`, whose upstream requests the kit requires to exist and to stay under `baseURL`;
 * `none` for a plugin that makes no HTTP requests at all (it draws or computes images in process),
 * for which only those upstream-request assertions are skipped.
 */
export type ConformanceUpstream =
  | { upstream?: 'fetch' /** Every upstream request must start with this. */; baseURL: string }
  | { upstream: 'none'; baseURL?: undefined };

/** What a plugin's test gives the kit for one test. */
export type ConformanceHarness = ConformanceHarnessBase & ConformanceUpstream;

/** What every harness gives, whatever its upstream. */
export interface ConformanceHarnessBase {
  /** The provider, built with `context.fetch` and pointed at `baseURL`. */
  provider: ImageProvider;
  /** The model the kit exercises (an id of `provider`). */
  modelId: string;
  /**
   * The models the edit, variation and stream checks use (default `modelId`). Each check runs
   * only when its model declares the capability (`capabilities.edit`, `.variation`, `.stream`).
   */
  editModelId?: string;
  variationModelId?: string;
  streamModelId?: string;
  /** Values that must never appear in errors, events or audit records (API keys, tokens). */
  secrets: string[];
  /** The next upstream call answers with this scenario, then back to success. */
  scenario(name: ConformanceScenario): void;
  /** Every URL the fake server received so far. */
  requests(): string[];
  teardown(): Promise<void>;
}

/** What every group of checks shares: the harness of the current test and the URLs it fetched. */
export interface KitState {
  harness: ConformanceHarness;
  urls: string[];
}

/** The context dispatch would give the first attempt of the first call. */
export function callContext(signal: AbortSignal = new AbortController().signal): ProviderCallContext {
  return { signal, requestId: 'req_conformance', callIndex: 0, attempt: 0, logger: silentLogger };
}

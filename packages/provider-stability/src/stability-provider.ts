/**
 * `createStabilityProvider`: the Stability AI plugin (v2beta Stable Image and legacy v1 SDXL). The
 * factory checks the settings and builds the catalog; each API generation has its own file
 * (`stability-v2beta.ts`, `stability-v1.ts`), sharing the wire helpers of `stability-client.ts`
 * and the answer checks of `stability-result.ts`.
 */
import {
  BackendError,
  type FetchFunction,
  GatewayError,
  type ImageProvider,
  loadApiKey,
  mergeCatalog,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  throwIfAborted,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  type AspectRatioSizes,
  type StabilityEndpoint,
  type StabilityProviderData,
  stabilityModels,
  stabilityProviderDataSchema,
} from './stability-catalog.ts';
import type { StabilityClient } from './stability-client.ts';
import {
  STABILITY_EDIT_OPERATIONS,
  type StabilityEditOperation,
  stabilityEditModelId,
} from './stability-edit-operations.ts';
import {
  checkOptionsForEndpoint,
  parseStabilityOptions,
  stabilityImageOptionsSchema,
} from './stability-options.ts';
import { generateV1 } from './stability-v1.ts';
import { generateV2beta } from './stability-v2beta.ts';
import { editV2beta } from './stability-v2beta-edit.ts';

/** Stability's hosted API. */
export const STABILITY_DEFAULT_BASE_URL = 'https://api.stability.ai';

export { STABILITY_CONTENT_FILTERED_LABEL, STABILITY_GENERATION_ERROR_LABEL } from './stability-result.ts';

/**
 * What to do with an image Stability returns with `finish_reason: CONTENT_FILTERED` (HTTP 200, the
 * image blurred): `fail` withholds it and fails the call with BACKEND_ERROR `content_filtered`;
 * `flag` returns it labelled {@link STABILITY_CONTENT_FILTERED_LABEL} with a warning, for apps that
 * show the blurred placeholder themselves.
 */
export type StabilityContentFilterPolicy = 'fail' | 'flag';

/** Settings of {@link createStabilityProvider}. */
export interface StabilityProviderSettings {
  /** Provider id in qualified model ids (default `stability`); change it to register a second account or a self-hosted server. */
  id?: string;
  /** API key. Defaults to the STABILITY_API_KEY environment variable, read at the first call (not at construction). */
  apiKey?: string;
  /**
   * Base URL (default `https://api.stability.ai`). Point it at a self-hosted server speaking this
   * API (for example an SDXL server implementing `/v1/generation/{engine}/text-to-image`).
   */
  baseURL?: string;
  /**
   * Extra headers on every request: `stability-client-id`, `stability-client-version`,
   * `Organization` (v1), proxy headers. Each `stability-client-*` value is at most 256 characters.
   * Authorization and accept are set by the plugin and cannot be overridden here.
   */
  headers?: Record<string, string>;
  /** The fetch implementation: the test seam (and a place for proxies or instrumentation). */
  fetch?: FetchFunction;
  /** CONTENT_FILTERED handling (default `fail`). */
  contentFilter?: StabilityContentFilterPolicy;
  /**
   * How v2beta images come back: `image` (default; raw bytes, `finish-reason` and `seed` headers,
   * no base64 copy in memory) or `json` (base64 in JSON). v1 uses JSON whenever a call asks for
   * more than one image, because Stability only allows `samples > 1` with JSON.
   */
  responseFormat?: 'image' | 'json';
  /** US dollars per Stability credit (default $0.01), used for the catalog's per-image prices. */
  creditPriceUsd?: number;
  /**
   * Ratio → pixel size tables per v2beta endpoint, replacing the catalog's defaults (several of
   * which are UNCONFIRMED; see the catalog).
   */
  aspectRatioSizes?: Partial<Record<StabilityEndpoint, AspectRatioSizes>>;
  /**
   * Credits per successful edit, per operation (`inpaint`, `erase`, `outpaint`,
   * `search-and-replace`, `remove-background`), replacing the catalog's UNCONFIRMED defaults.
   */
  editCredits?: Partial<Record<StabilityEditOperation, number>>;
  /** Models to add, or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
  /** Largest answer body accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
}

const CLIENT_HEADER = /^stability-client-(id|user-id|version)$/i;
const RESERVED_HEADERS = new Set(['authorization', 'accept', 'content-type', 'content-length']);

function configError(provider: string, message: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `${provider}: ${message}`, { provider });
}

function normalizeBaseURL(provider: string, baseURL: string | undefined): string {
  const value = (baseURL ?? STABILITY_DEFAULT_BASE_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(provider, `baseURL '${value}' is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(provider, `baseURL must be http(s), not ${url.protocol}`);
  }
  if (url.search || url.hash)
    throw configError(provider, 'baseURL must not carry a query string or fragment.');
  return value;
}

function checkHeaders(provider: string, headers: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      throw configError(
        provider,
        `the '${name}' header is set by the plugin; use apiKey or responseFormat instead.`,
      );
    }
    if (CLIENT_HEADER.test(lower) && value.length > 256) {
      throw configError(provider, `the '${name}' header is at most 256 characters (got ${value.length}).`);
    }
    result[lower] = value;
  }
  return result;
}

function routeOf(
  provider: string,
  model: Pick<ModelDescriptorInput, 'id' | 'providerData'>,
): StabilityProviderData {
  const parsed = stabilityProviderDataSchema.safeParse(model.providerData ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(
      provider,
      `model '${model.id}' has invalid providerData${issue ? ` (${issue.path.join('.') || 'providerData'}: ${issue.message})` : ''}. ` +
        "Give { apiFamily: 'v2beta', endpoint, endpointKind: 'ultra' | 'core' | 'sd3', model? }, { apiFamily: 'v2beta-edit', endpoint, operation } or { apiFamily: 'v1', endpoint, engine }.",
    );
  }
  return parsed.data;
}

/** Checks the settings once, so a misconfiguration fails at construction, not at the first call. */
function resolveClient(settings: StabilityProviderSettings): StabilityClient {
  const id = settings.id ?? 'stability';
  const baseURL = normalizeBaseURL(id, settings.baseURL);
  const extraHeaders = checkHeaders(id, settings.headers);
  const contentFilter = settings.contentFilter ?? 'fail';
  if (contentFilter !== 'fail' && contentFilter !== 'flag') {
    throw configError(id, `contentFilter must be 'fail' or 'flag', not '${String(contentFilter)}'.`);
  }
  const responseFormat = settings.responseFormat ?? 'image';
  if (responseFormat !== 'image' && responseFormat !== 'json') {
    throw configError(id, `responseFormat must be 'image' or 'json', not '${String(responseFormat)}'.`);
  }
  if (
    settings.creditPriceUsd !== undefined &&
    !(settings.creditPriceUsd >= 0 && Number.isFinite(settings.creditPriceUsd))
  ) {
    throw configError(id, 'creditPriceUsd must be a non-negative number of US dollars.');
  }
  return {
    id,
    baseURL,
    extraHeaders,
    contentFilter,
    responseFormat,
    maxResponseBytes: settings.maxResponseBytes ?? 64 * 1024 * 1024,
    apiKey: settings.apiKey,
    fetch: settings.fetch,
  };
}

/** `editCredits` names known operations with non-negative numbers, or the catalog would lie about prices. */
function checkEditCredits(provider: string, credits: StabilityProviderSettings['editCredits']): void {
  for (const [operation, value] of Object.entries(credits ?? {})) {
    if (!(STABILITY_EDIT_OPERATIONS as readonly string[]).includes(operation)) {
      throw configError(
        provider,
        `editCredits.${operation} is not an edit operation; known: ${STABILITY_EDIT_OPERATIONS.join(', ')}.`,
      );
    }
    if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw configError(provider, `editCredits.${operation} must be a non-negative number of credits.`);
    }
  }
}

/** The built-in catalog priced and routed for this instance, plus the user's models, each checked. */
function catalogFor(client: StabilityClient, settings: StabilityProviderSettings): ModelDescriptorInput[] {
  checkEditCredits(client.id, settings.editCredits);
  const host = new URL(client.baseURL).host;
  const selfHosted = host !== new URL(STABILITY_DEFAULT_BASE_URL).host;
  const catalog = stabilityModels({
    providerId: client.id,
    ...(settings.creditPriceUsd === undefined ? {} : { creditPriceUsd: settings.creditPriceUsd }),
    ...(settings.aspectRatioSizes ? { aspectRatioSizes: settings.aspectRatioSizes } : {}),
    ...(settings.editCredits ? { editCredits: settings.editCredits } : {}),
  }).map((model) =>
    // The v1 deprecation concerns Stability's hosted API, not a self-hosted server speaking it.
    selfHosted && (model.providerData as StabilityProviderData).apiFamily === 'v1'
      ? { ...model, lifecycle: { status: 'active' as const, note: `Served by ${host}.` } }
      : model,
  );
  const models = mergeCatalog(client.id, catalog, settings.models);
  for (const model of models) routeOf(client.id, model);
  return models;
}

/** The route and options of one call, checked (an option the endpoint does not take is named). */
function checkedRoute(client: StabilityClient, call: ProviderCall) {
  const { id } = client;
  const route = routeOf(id, call.model);
  const options = parseStabilityOptions(call, id);
  const invalid = checkOptionsForEndpoint(
    options,
    route,
    call.model.capabilities.styles,
    `${id}/${call.model.id}`,
  );
  if (invalid) throw validationError(`provider_options.${id}.${invalid.param}`, invalid.message);
  return { route, options };
}

/** Runs one call; anything unexpected is reported without its text, which could quote a body. */
async function guarded(client: StabilityClient, run: () => Promise<ProviderResult>): Promise<ProviderResult> {
  try {
    return await run();
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    throw new BackendError(`${client.id}: the answer could not be processed.`, {
      reason: 'malformed_response',
      provider: client.id,
      cause: error,
    });
  }
}

/** One generation: the route and options checked, then the API generation's own request. */
async function generateWith(
  client: StabilityClient,
  call: ProviderCall,
  context: ProviderCallContext,
): Promise<ProviderResult> {
  throwIfAborted(context.signal, client.id);
  const { route, options } = checkedRoute(client, call);
  if (route.apiFamily === 'v2beta-edit') {
    throw validationError(
      'model',
      `'${client.id}/${call.model.id}' edits images (v2beta ${route.operation}); send it to images.edit (POST /v1/images/edits) with an input image, or generate with a generation model.`,
    );
  }
  return guarded(client, () =>
    route.apiFamily === 'v1'
      ? generateV1(client, call, context, route, options)
      : generateV2beta(client, call, context, route, options),
  );
}

/** One edit: only the v2beta edit endpoints edit; the generation models are refused by name. */
async function editWith(
  client: StabilityClient,
  call: ProviderCall,
  context: ProviderCallContext,
): Promise<ProviderResult> {
  throwIfAborted(context.signal, client.id);
  const { route, options } = checkedRoute(client, call);
  if (route.apiFamily !== 'v2beta-edit') {
    throw validationError(
      'model',
      `'${client.id}/${call.model.id}' generates images only; edit with ${STABILITY_EDIT_OPERATIONS.map((operation) => `'${stabilityEditModelId(operation)}'`).join(', ')}.`,
    );
  }
  return guarded(client, () => editV2beta(client, call, context, route, options));
}

/**
 * Creates the Stability AI provider: the catalog as data and a `generate` that maps a validated
 * call to the v2beta multipart endpoints or the v1 JSON endpoint, reads either reply format, and
 * never passes a CONTENT_FILTERED (blurred) image off as a normal one.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a malformed baseURL, header or model providerData.
 */
export function createStabilityProvider(settings: StabilityProviderSettings = {}): ImageProvider {
  const client = resolveClient(settings);
  return {
    specificationVersion: 'v1',
    id: client.id,
    models: catalogFor(client, settings),
    providerOptionsSchema: stabilityImageOptionsSchema,
    generate: (call, context) => generateWith(client, call, context),
    edit: (call, context) => editWith(client, call, context),
    async verify(): Promise<void> {
      loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'STABILITY_API_KEY', provider: client.id });
    },
  };
}

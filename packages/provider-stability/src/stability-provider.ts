/**
 * `createStabilityProvider`: the Stability AI plugin (v2beta Stable Image and legacy v1 SDXL).
 */
import {
  BackendError,
  decodeBase64,
  type FetchFunction,
  formatSize,
  GatewayError,
  type GenerationWarning,
  type ImageProvider,
  loadApiKey,
  type ModelDescriptor,
  type ModelDescriptorInput,
  mergeCatalog,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderImage,
  type ProviderResult,
  parseSize,
  providerFetch,
  readBodyBytes,
  readJsonBody,
  sniffImage,
  throwIfAborted,
  validationError,
} from '@pixelgate/core';
import { type V1Artifact, v1JsonResponseSchema, v2betaJsonResponseSchema } from './stability-api.ts';
import {
  type AspectRatioSizes,
  STABILITY_SD3_LEGACY_MODELS,
  type StabilityEndpoint,
  type StabilityProviderData,
  stabilityModels,
  stabilityProviderDataSchema,
} from './stability-catalog.ts';
import { mapStabilityError } from './stability-error.ts';
import {
  checkOptionsForEndpoint,
  type StabilityImageOptions,
  stabilityImageOptionsSchema,
} from './stability-options.ts';
import { VERSION } from './version.ts';

/** Stability's hosted API. */
export const STABILITY_DEFAULT_BASE_URL = 'https://api.stability.ai';

/** The label put on images Stability reported as CONTENT_FILTERED (blurred) under the `flag` policy. */
export const STABILITY_CONTENT_FILTERED_LABEL = 'provider:stability:content_filtered';

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
  /** Models to add, or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
  /** Largest answer body accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
}

const CLIENT_HEADER = /^stability-client-(id|user-id|version)$/i;
const RESERVED_HEADERS = new Set(['authorization', 'accept', 'content-type', 'content-length']);
const MAX_ERROR_BODY_BYTES = 256 * 1024;

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
        "Give { apiFamily: 'v2beta', endpoint, endpointKind: 'ultra' | 'core' | 'sd3', model? } or { apiFamily: 'v1', endpoint, engine }.",
    );
  }
  return parsed.data;
}

/** Reads the body of a failed answer without ever failing itself (a cut body is still an error answer). */
async function errorBodyText(response: Response, provider: string, signal: AbortSignal): Promise<string> {
  try {
    const bytes = await readBodyBytes(response, { provider, maxBytes: MAX_ERROR_BODY_BYTES, signal });
    return new TextDecoder().decode(bytes);
  } catch (error) {
    if (signal.aborted) throw error;
    return '';
  }
}

function parseSeedHeader(value: string | null): number | undefined {
  if (value === null || !/^\d{1,10}$/.test(value.trim())) return undefined;
  const seed = Number(value.trim());
  return seed <= 4_294_967_295 ? seed : undefined;
}

interface RawImage {
  bytes: Uint8Array;
  finishReason: string;
  seed?: number;
}

/**
 * Creates the Stability AI provider: the catalog as data and a `generate` that maps a validated
 * call to the v2beta multipart endpoints or the v1 JSON endpoint, reads either reply format, and
 * never passes a CONTENT_FILTERED (blurred) image off as a normal one.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a malformed baseURL, header or model providerData.
 */
export function createStabilityProvider(settings: StabilityProviderSettings = {}): ImageProvider {
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
  const selfHosted = new URL(baseURL).host !== new URL(STABILITY_DEFAULT_BASE_URL).host;

  const catalog = stabilityModels({
    providerId: id,
    ...(settings.creditPriceUsd === undefined ? {} : { creditPriceUsd: settings.creditPriceUsd }),
    ...(settings.aspectRatioSizes ? { aspectRatioSizes: settings.aspectRatioSizes } : {}),
  }).map((model) =>
    // The v1 deprecation concerns Stability's hosted API, not a self-hosted server speaking it.
    selfHosted && (model.providerData as StabilityProviderData).apiFamily === 'v1'
      ? { ...model, lifecycle: { status: 'active' as const, note: `Served by ${new URL(baseURL).host}.` } }
      : model,
  );
  const models = mergeCatalog(id, catalog, settings.models);
  for (const model of models) routeOf(id, model);

  const maxResponseBytes = settings.maxResponseBytes ?? 64 * 1024 * 1024;

  const resolveKey = (context: ProviderCallContext): string =>
    context.credentials?.apiKey ??
    loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'STABILITY_API_KEY', provider: id });

  async function post(
    path: string,
    init: { body: BodyInit; headers: Record<string, string> },
    context: ProviderCallContext,
    secrets: string[],
    optionKeys: string[],
  ): Promise<Response> {
    const response = await providerFetch(
      `${baseURL}${path}`,
      { method: 'POST', body: init.body, headers: init.headers },
      { provider: id, fetch: settings.fetch, signal: context.signal, secrets },
    );
    if (response.ok) return response;
    const bodyText = await errorBodyText(response, id, context.signal);
    throw mapStabilityError({
      provider: id,
      status: response.status,
      headers: response.headers,
      bodyText,
      secrets,
      optionKeys,
    });
  }

  function malformed(message: string, response: Response, cause?: unknown): BackendError {
    const upstreamRequestId = response.headers.get('x-request-id') ?? undefined;
    return new BackendError(`${id}: ${message}`, {
      reason: 'malformed_response',
      provider: id,
      upstreamStatus: response.status,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** Reads a v2beta success in whichever format it came back (self-hosted servers may ignore `accept`). */
  async function readV2beta(response: Response, context: ProviderCallContext): Promise<RawImage> {
    const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
    const readOptions = {
      provider: id,
      maxBytes: maxResponseBytes,
      signal: context.signal,
      upstreamRequestId: response.headers.get('x-request-id') ?? undefined,
    };
    if (contentType.startsWith('application/json')) {
      const parsed = v2betaJsonResponseSchema.safeParse(await readJsonBody(response, readOptions));
      if (!parsed.success)
        throw malformed('Stability answered with JSON that has no image and finish_reason.', response);
      return {
        bytes: decodeBase64(parsed.data.image, id),
        finishReason: parsed.data.finish_reason,
        ...(parsed.data.seed == null ? {} : { seed: parsed.data.seed }),
      };
    }
    if (!contentType.startsWith('image/')) {
      await response.body?.cancel().catch(() => {});
      throw malformed(
        `Stability answered with content type '${contentType || 'none'}', not an image.`,
        response,
      );
    }
    const bytes = await readBodyBytes(response, readOptions);
    const seed = parseSeedHeader(response.headers.get('seed'));
    // A missing finish-reason header (some self-hosted servers) is read as SUCCESS: it carries no
    // evidence of filtering. A present one is always honoured.
    return {
      bytes,
      finishReason: response.headers.get('finish-reason')?.trim().toUpperCase() || 'SUCCESS',
      ...(seed === undefined ? {} : { seed }),
    };
  }

  async function readV1(response: Response, context: ProviderCallContext): Promise<RawImage[]> {
    const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
    const readOptions = {
      provider: id,
      maxBytes: maxResponseBytes,
      signal: context.signal,
      upstreamRequestId: response.headers.get('x-request-id') ?? undefined,
    };
    if (contentType.startsWith('image/')) {
      const bytes = await readBodyBytes(response, readOptions);
      const seed = parseSeedHeader(response.headers.get('seed'));
      return [
        {
          bytes,
          finishReason: response.headers.get('finish-reason')?.trim().toUpperCase() || 'SUCCESS',
          ...(seed === undefined ? {} : { seed }),
        },
      ];
    }
    const parsed = v1JsonResponseSchema.safeParse(await readJsonBody(response, readOptions));
    if (!parsed.success) throw malformed('Stability answered with JSON that has no artifacts.', response);
    return parsed.data.map((artifact: V1Artifact) => {
      const reason = artifact.finishReason.toUpperCase();
      if (reason !== 'SUCCESS' && reason !== 'CONTENT_FILTERED')
        return { bytes: new Uint8Array(0), finishReason: reason };
      if (!artifact.base64) throw malformed('a v1 artifact has no image data.', response);
      return {
        bytes: decodeBase64(artifact.base64, id),
        finishReason: reason,
        ...(artifact.seed == null ? {} : { seed: artifact.seed }),
      };
    });
  }

  /** Applies the safety policy and checks every image is what it claims to be. */
  function finish(
    raws: RawImage[],
    expected: { count: number; format: string; size?: string; requestedSeed?: number },
    response: Response,
    warnings: GenerationWarning[],
    modelLabel: string,
  ): ProviderResult {
    const upstreamRequestId = response.headers.get('x-request-id') ?? undefined;
    const unknown = raws.find(
      (raw) => raw.finishReason !== 'SUCCESS' && raw.finishReason !== 'CONTENT_FILTERED',
    );
    if (unknown) {
      if (unknown.finishReason === 'ERROR') {
        throw new BackendError(
          `${id}: Stability reported a generation error (finish reason ERROR) for '${modelLabel}'.`,
          {
            reason: 'upstream_unavailable',
            provider: id,
            upstreamStatus: response.status,
            upstreamCode: 'ERROR',
            ...(upstreamRequestId ? { upstreamRequestId } : {}),
          },
        );
      }
      throw malformed(
        `Stability answered with an unknown finish reason '${unknown.finishReason.slice(0, 40)}'.`,
        response,
      );
    }
    if (raws.length !== expected.count) {
      throw malformed(
        `Stability returned ${raws.length} image(s) for a call asking for ${expected.count}.`,
        response,
      );
    }
    const filtered = raws.filter((raw) => raw.finishReason === 'CONTENT_FILTERED').length;
    if (filtered > 0 && contentFilter === 'fail' && filtered === raws.length) {
      throw new BackendError(
        `${id}: Stability's moderation filtered ${filtered === 1 ? 'the image' : `all ${filtered} images`} (CONTENT_FILTERED: the image was blurred and is withheld). Change the prompt; retrying will not help.`,
        {
          reason: 'content_filtered',
          provider: id,
          upstreamStatus: response.status,
          upstreamCode: 'CONTENT_FILTERED',
          param: 'prompt',
          ...(upstreamRequestId ? { upstreamRequestId } : {}),
        },
      );
    }
    const images: ProviderImage[] = [];
    for (const raw of raws) {
      if (raw.finishReason === 'CONTENT_FILTERED' && contentFilter === 'fail') continue;
      const sniffed = sniffImage(raw.bytes);
      if (!sniffed)
        throw malformed('Stability returned bytes that are not a PNG, JPEG or WebP image.', response);
      const expectedMediaType = `image/${expected.format}`;
      if (sniffed.mediaType !== expectedMediaType) {
        warnings.push({
          type: 'other',
          param: 'output_format',
          message: `Stability returned ${sniffed.mediaType} although ${expectedMediaType} was asked for; the image is labelled with its real type.`,
          from: expectedMediaType,
          to: sniffed.mediaType,
        });
      }
      const produced = sniffed.width && sniffed.height ? `${sniffed.width}x${sniffed.height}` : undefined;
      if (
        expected.size &&
        produced &&
        produced !== expected.size &&
        !warnings.some((w) => w.param === 'size')
      ) {
        warnings.push({
          type: 'other',
          param: 'size',
          message: `Stability produced ${produced} where the catalog says ${expected.size} for '${modelLabel}'; correct the model's aspectRatioSizes if this persists.`,
          from: expected.size,
          to: produced,
        });
      }
      images.push({
        bytes: raw.bytes,
        mediaType: sniffed.mediaType,
        ...(raw.seed === undefined ? {} : { seed: raw.seed }),
        ...(raw.finishReason === 'CONTENT_FILTERED' ? { labels: [STABILITY_CONTENT_FILTERED_LABEL] } : {}),
      });
    }
    if (filtered > 0) {
      warnings.push({
        type: 'content_filtered',
        message:
          contentFilter === 'flag'
            ? `Stability's moderation blurred ${filtered} image(s) (CONTENT_FILTERED); they are returned labelled ${STABILITY_CONTENT_FILTERED_LABEL}.`
            : `Stability's moderation blurred ${filtered} of ${raws.length} images (CONTENT_FILTERED); they were withheld.`,
      });
    }
    return {
      images,
      ...(filtered > 0 && contentFilter === 'fail' ? { filteredCount: filtered } : {}),
      ...(filtered > 0 ? { labels: [STABILITY_CONTENT_FILTERED_LABEL] } : {}),
      ...(warnings.length ? { warnings } : {}),
      response: {
        status: response.status,
        modelId: modelLabel,
        ...(upstreamRequestId ? { upstreamRequestId } : {}),
      },
    };
  }

  function parseOptions(call: ProviderCall): StabilityImageOptions {
    const parsed = stabilityImageOptionsSchema.safeParse(call.providerOptions ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length
        ? issue.path.join('.')
        : ((issue as { keys?: string[] }).keys?.[0] ?? '');
      throw validationError(
        `provider_options.${id}${field ? `.${field}` : ''}`,
        `provider_options.${id}${field ? `.${field}` : ''}: ${issue.message}`,
      );
    }
    return parsed.data;
  }

  function resolveStyle(call: ProviderCall, options: StabilityImageOptions): string | undefined {
    if (
      call.style !== undefined &&
      options.style_preset !== undefined &&
      call.style !== options.style_preset
    ) {
      throw validationError(
        `provider_options.${id}.style_preset`,
        `style '${call.style}' and provider_options.${id}.style_preset '${options.style_preset}' disagree; send one of them.`,
      );
    }
    return call.style ?? options.style_preset;
  }

  function seedWarning(call: ProviderCall, warnings: GenerationWarning[]): void {
    if (call.seed === 0) {
      warnings.push({
        type: 'other',
        param: 'seed',
        message: 'Stability reads seed 0 as "random"; the seed actually used is reported with each image.',
      });
    }
  }

  async function generateV2beta(
    call: ProviderCall,
    context: ProviderCallContext,
    route: Extract<StabilityProviderData, { apiFamily: 'v2beta' }>,
    options: StabilityImageOptions,
  ): Promise<ProviderResult> {
    const model = call.model;
    if (call.n !== 1) {
      throw configError(
        id,
        `model '${model.id}' uses the v2beta API, which returns one image per call; declare maxImagesPerCall 1 so dispatch splits n.`,
      );
    }
    const warnings: GenerationWarning[] = [];
    const ratio = resolveRatio(call, model);
    const style = resolveStyle(call, options);
    let variant = route.model;
    if (options.model !== undefined) {
      const routed = STABILITY_SD3_LEGACY_MODELS[options.model] ?? options.model;
      if (route.model !== undefined && routed !== route.model) {
        throw validationError(
          `provider_options.${id}.model`,
          `provider_options.${id}.model '${options.model}' is a different model from '${model.id}' (${route.model}); choose the model id '${routed}' instead so that prices and capabilities match.`,
        );
      }
      variant = options.model;
    }
    const format = call.outputFormat ?? model.defaults.outputFormat ?? 'png';
    seedWarning(call, warnings);

    const form = new FormData();
    form.set('prompt', call.prompt);
    if (call.negativePrompt !== undefined) form.set('negative_prompt', call.negativePrompt);
    if (ratio !== undefined) form.set('aspect_ratio', ratio);
    if (call.seed !== undefined) form.set('seed', String(call.seed));
    form.set('output_format', format);
    if (style !== undefined) form.set('style_preset', style);
    if (options.cfg_scale !== undefined) form.set('cfg_scale', String(options.cfg_scale));
    if (variant !== undefined) form.set('model', variant);

    const apiKey = resolveKey(context);
    const secrets = [apiKey, ...(settings.apiKey ? [settings.apiKey] : [])];
    const response = await post(
      route.endpoint,
      {
        body: form,
        headers: requestHeaders(apiKey, responseFormat === 'json' ? 'application/json' : 'image/*', call),
      },
      context,
      secrets,
      Object.keys(call.providerOptions ?? {}),
    );
    const raw = await readV2beta(response, context);
    const expectedSize = ratio !== undefined ? model.capabilities.aspectRatios[ratio] : call.size;
    return finish(
      [raw],
      {
        count: 1,
        format,
        ...(expectedSize && expectedSize !== 'auto' ? { size: expectedSize } : {}),
      },
      response,
      warnings,
      variant ?? model.id,
    );
  }

  function resolveRatio(call: ProviderCall, model: ModelDescriptor): string | undefined {
    const ratios = model.capabilities.aspectRatios;
    if (call.aspectRatio !== undefined) {
      if (!(call.aspectRatio in ratios)) {
        throw validationError(
          'aspect_ratio',
          `The aspect ratio '${call.aspectRatio}' is not one '${model.provider}/${model.id}' declares. Accepted: ${Object.keys(ratios).join(', ')}.`,
        );
      }
      return call.aspectRatio;
    }
    if (call.size === undefined || call.size === 'auto') return model.defaults.aspectRatio;
    const match = Object.entries(ratios).find(([, size]) => size === call.size);
    if (match) return match[0];
    throw validationError(
      'size',
      `The size '${call.size}' is not one of the sizes '${model.provider}/${model.id}' produces (${Object.values(ratios).join(', ')}); Stability v2beta takes an aspect ratio.`,
    );
  }

  function requestHeaders(apiKey: string, accept: string, call: ProviderCall): Record<string, string> {
    return {
      ...(call.user !== undefined && !('stability-client-user-id' in extraHeaders)
        ? { 'stability-client-user-id': call.user }
        : {}),
      'user-agent': `pixelgate-provider-stability/${VERSION}`,
      ...extraHeaders,
      authorization: `Bearer ${apiKey}`,
      accept,
    };
  }

  async function generateV1(
    call: ProviderCall,
    context: ProviderCallContext,
    route: Extract<StabilityProviderData, { apiFamily: 'v1' }>,
    options: StabilityImageOptions,
  ): Promise<ProviderResult> {
    const model = call.model;
    const warnings: GenerationWarning[] = [];
    const sizeText = call.size && call.size !== 'auto' ? call.size : model.defaults.size;
    const size = sizeText ? parseSize(sizeText) : undefined;
    if (!size) {
      throw validationError(
        'size',
        `The v1 API needs a pixel size; '${model.provider}/${model.id}' has no default. Send size.`,
      );
    }
    const mismatch = (
      param: 'width' | 'height' | 'samples',
      wanted: number | undefined,
      actual: number,
      source: string,
    ) => {
      if (wanted !== undefined && wanted !== actual) {
        throw validationError(
          `provider_options.${id}.${param}`,
          `provider_options.${id}.${param} (${wanted}) contradicts ${source} (${actual}); ${source} decides, so remove ${param} or make them agree.`,
        );
      }
    };
    mismatch('width', options.width, size.width, `the size ${formatSize(size)}`);
    mismatch('height', options.height, size.height, `the size ${formatSize(size)}`);
    mismatch('samples', options.samples, call.n, 'the image count of this call');
    const style = resolveStyle(call, options);
    seedWarning(call, warnings);

    const textPrompts: Array<{ text: string; weight: number }> = [{ text: call.prompt, weight: 1 }];
    if (call.negativePrompt !== undefined) textPrompts.push({ text: call.negativePrompt, weight: -1 });
    const body = {
      text_prompts: textPrompts,
      width: size.width,
      height: size.height,
      samples: call.n,
      ...(call.seed === undefined ? {} : { seed: call.seed }),
      ...(options.cfg_scale === undefined ? {} : { cfg_scale: options.cfg_scale }),
      ...(options.steps === undefined ? {} : { steps: options.steps }),
      ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
      ...(options.clip_guidance_preset === undefined
        ? {}
        : { clip_guidance_preset: options.clip_guidance_preset }),
      ...(style === undefined ? {} : { style_preset: style }),
    };
    // v1 allows samples > 1 only with JSON; a single image comes back as raw PNG (no base64 copy).
    const accept = call.n > 1 || responseFormat === 'json' ? 'application/json' : 'image/png';
    const apiKey = resolveKey(context);
    const secrets = [apiKey, ...(settings.apiKey ? [settings.apiKey] : [])];
    const response = await post(
      route.endpoint,
      {
        body: JSON.stringify(body),
        headers: { ...requestHeaders(apiKey, accept, call), 'content-type': 'application/json' },
      },
      context,
      secrets,
      Object.keys(call.providerOptions ?? {}),
    );
    const raws = await readV1(response, context);
    return finish(
      raws,
      { count: call.n, format: 'png', size: formatSize(size) },
      response,
      warnings,
      model.id,
    );
  }

  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: stabilityImageOptionsSchema,
    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      throwIfAborted(context.signal, id);
      const route = routeOf(id, call.model);
      const options = parseOptions(call);
      const invalid = checkOptionsForEndpoint(
        options,
        route,
        call.model.capabilities.styles,
        `${id}/${call.model.id}`,
      );
      if (invalid) throw validationError(`provider_options.${id}.${invalid.param}`, invalid.message);
      try {
        return route.apiFamily === 'v1'
          ? await generateV1(call, context, route, options)
          : await generateV2beta(call, context, route, options);
      } catch (error) {
        if (GatewayError.isInstance(error)) throw error;
        // Anything unexpected is reported without its text, which could quote a body.
        throw new BackendError(`${id}: the answer could not be processed.`, {
          reason: 'malformed_response',
          provider: id,
          cause: error,
        });
      }
    },
    async verify(): Promise<void> {
      loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'STABILITY_API_KEY', provider: id });
    },
  };
}

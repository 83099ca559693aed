/**
 * `createFalProvider`: the fal plugin. Queue models go through submit, status polling, result
 * fetch (and cancel on abort) on `queue.fal.run`; fast models use the synchronous `fal.run`. The
 * key (`Authorization: Key …`) goes to fal's API hosts only, never to the host serving images.
 */
import {
  type FetchFunction,
  GatewayError,
  guardedProviderStep,
  type ImageProvider,
  loadApiKey,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseSize,
  providerFetch,
  readJsonBody,
  type UpstreamJob,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  FAL_IMAGE_SIZE_PRESETS,
  type FalProviderData,
  falModels,
  falProviderDataSchema,
} from './fal-catalog.ts';
import { type FalOptions, falOptionsSchema, parseFalOptions } from './fal-options.ts';
import { type FalContentFilterPolicy, readFalOutput } from './fal-output.ts';
import { errorFrom, type FalQueueOptions, resumeQueued, runQueued } from './fal-queue.ts';

/** fal's queue host. */
export const FAL_DEFAULT_QUEUE_URL = 'https://queue.fal.run';
/** fal's synchronous host. */
export const FAL_DEFAULT_SYNC_URL = 'https://fal.run';
/** Hosts the queue's status, response and cancel URLs may point to (the base URLs' hosts are added). */
export const FAL_DEFAULT_QUEUE_HOSTS: readonly string[] = Object.freeze(['queue.fal.run']);
/** Hosts output images may be downloaded from (UNCONFIRMED: fal's media CDN). */
export const FAL_DEFAULT_RESULT_HOSTS: readonly string[] = Object.freeze(['fal.media', '*.fal.media']);

/** Settings of {@link createFalProvider}. */
export interface FalProviderSettings {
  /** Provider id in qualified model ids (default `fal`). */
  id?: string;
  /** API key, sent as `Authorization: Key …`. Defaults to FAL_KEY, read at the first call. */
  apiKey?: string;
  /** Queue base URL (default `https://queue.fal.run`). */
  queueBaseURL?: string;
  /** Synchronous base URL (default `https://fal.run`). */
  syncBaseURL?: string;
  /** Extra hosts the queue URLs may point to (default {@link FAL_DEFAULT_QUEUE_HOSTS}); the key is sent there. */
  queueHosts?: readonly string[];
  /** Hosts images may be downloaded from (default {@link FAL_DEFAULT_RESULT_HOSTS}); no key is sent there. */
  resultHosts?: readonly string[];
  /** The fetch implementation: the test seam. */
  fetch?: FetchFunction;
  /** Models to add, or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
  /** `has_nsfw_concepts` handling (default `fail`). */
  contentFilter?: FalContentFilterPolicy;
  /** Wait between status polls (default 500 ms). */
  pollIntervalMs?: number;
  /** Longest a request is polled before `timeout` (and cancelled), within the deadline (default 5 minutes). */
  maxPollMs?: number;
  /** Transient poll failures tolerated in a row (default 5). */
  maxTransientPollFailures?: number;
  /** Longest an image download may take (default 30 s). */
  downloadTimeoutMs?: number;
  /** Largest image accepted, in bytes (default 32 MiB). */
  maxImageBytes?: number;
}

function configError(provider: string, message: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `${provider}: ${message}`, { provider });
}

function baseUrl(provider: string, name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value.replace(/\/+$/, ''));
  } catch {
    throw configError(provider, `${name} '${value}' is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw configError(provider, `${name} must be http(s).`);
  if (url.search || url.hash)
    throw configError(provider, `${name} must not carry a query string or fragment.`);
  return url;
}

function positive(provider: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0))
    throw configError(provider, `${name} must be a positive number.`);
  return value;
}

function routeOf(
  provider: string,
  model: Pick<ModelDescriptorInput, 'id' | 'providerData'>,
): FalProviderData {
  const parsed = falProviderDataSchema.safeParse(model.providerData ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(
      provider,
      `model '${model.id}' has invalid providerData (${issue ? `${issue.path.join('.') || 'providerData'}: ${issue.message}` : 'invalid'}). Give { endpoint: 'fal-ai/...', mode: 'queue' | 'sync', sizing: 'image_size' | 'aspect_ratio', ... }.`,
    );
  }
  return parsed.data;
}

/** `image_size`: the preset name when the size is one, else `{ width, height }`. */
function imageSize(size: string): string | { width: number; height: number } {
  const preset = Object.entries(FAL_IMAGE_SIZE_PRESETS).find(([, pixels]) => pixels === size);
  if (preset) return preset[0];
  const parsed = parseSize(size);
  return parsed ? { width: parsed.width, height: parsed.height } : size;
}

/** The model input for one call. */
function inputFor(call: ProviderCall, route: FalProviderData, options: FalOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: call.prompt };
  if (route.sizing === 'aspect_ratio')
    body.aspect_ratio = call.aspectRatio ?? call.model.defaults.aspectRatio;
  else
    body.image_size = imageSize(
      call.size && call.size !== 'auto' ? call.size : (call.model.defaults.size ?? '1024x768'),
    );
  if (route.numImages) body.num_images = call.n;
  if (route.outputFormat && call.outputFormat) body.output_format = call.outputFormat;
  if (route.style && call.style) body.style = call.style;
  if (call.seed !== undefined) body.seed = call.seed;
  if (call.negativePrompt !== undefined) body.negative_prompt = call.negativePrompt;
  const { safety_tolerance: tolerance, ...rest } = options;
  // fal documents safety_tolerance as a string enum "1".."6" (UNCONFIRMED).
  return { ...body, ...rest, ...(tolerance === undefined ? {} : { safety_tolerance: String(tolerance) }) };
}

/**
 * Creates the fal provider: the catalog as data and a `generate` that runs each call through the
 * queue (or the synchronous endpoint), then downloads the images from allow-listed hosts.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a malformed URL, setting or model providerData.
 */
export function createFalProvider(settings: FalProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'fal';
  const queueBase = baseUrl(id, 'queueBaseURL', settings.queueBaseURL ?? FAL_DEFAULT_QUEUE_URL);
  const syncBase = baseUrl(id, 'syncBaseURL', settings.syncBaseURL ?? FAL_DEFAULT_SYNC_URL);
  const queueHosts = [...(settings.queueHosts ?? FAL_DEFAULT_QUEUE_HOSTS), queueBase.host];
  const resultHosts = [...(settings.resultHosts ?? FAL_DEFAULT_RESULT_HOSTS)];
  const allowHttp = queueBase.protocol === 'http:' || syncBase.protocol === 'http:';
  const contentFilter = settings.contentFilter ?? 'fail';
  if (contentFilter !== 'fail' && contentFilter !== 'flag')
    throw configError(id, `contentFilter must be 'fail' or 'flag', not '${String(contentFilter)}'.`);
  const timing = {
    intervalMs: positive(id, 'pollIntervalMs', settings.pollIntervalMs, 500),
    maxPollMs: positive(id, 'maxPollMs', settings.maxPollMs, 300_000),
    maxTransientFailures: settings.maxTransientPollFailures ?? 5,
    downloadTimeoutMs: positive(id, 'downloadTimeoutMs', settings.downloadTimeoutMs, 30_000),
    maxImageBytes: positive(id, 'maxImageBytes', settings.maxImageBytes, 32 * 1024 * 1024),
  };
  const byId = new Map(falModels({ providerId: id }).map((model) => [model.id, model]));
  for (const model of settings.models ?? []) byId.set(model.id, { ...model, provider: model.provider ?? id });
  const models = [...byId.values()];
  for (const model of models) routeOf(id, model);
  const trim = (url: URL) => url.href.replace(/\/+$/, '');
  const queueEnv = { id, fetch: settings.fetch, queueUrl: trim(queueBase), queueHosts, allowHttp, timing };

  const resolveKey = (context: ProviderCallContext): string =>
    context.credentials?.apiKey ??
    loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'FAL_KEY', provider: id });

  async function runSync(
    url: string,
    body: Record<string, unknown>,
    headers: Record<string, string>,
    context: ProviderCallContext,
    secrets: Array<string | undefined>,
  ) {
    const response = await providerFetch(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      { provider: id, fetch: settings.fetch, signal: context.signal, secrets },
    );
    if (!response.ok) throw await errorFrom(response, { provider: id, signal: context.signal, secrets });
    const requestId = response.headers.get('x-fal-request-id') ?? undefined;
    return {
      output: await readJsonBody(response, {
        provider: id,
        maxBytes: 16 * 1024 * 1024,
        signal: context.signal,
      }),
      requestId,
    };
  }

  /** Checks the call and answers its route, options and the key's headers. */
  function prepare(call: ProviderCall, context: ProviderCallContext) {
    const route = routeOf(id, call.model);
    const options = parseFalOptions(id, call.providerOptions, route, `${id}/${call.model.id}`);
    if (!route.numImages && call.n !== 1)
      throw configError(
        id,
        `model '${call.model.id}' makes one image per request; declare maxImagesPerCall 1 so dispatch splits n.`,
      );
    const key = resolveKey(context);
    const secrets = [key, settings.apiKey];
    const headers = { authorization: `Key ${key}`, accept: 'application/json' };
    return { route, options, secrets, headers };
  }

  async function generateOne(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
    const { route, options, secrets, headers } = prepare(call, context);
    const body = inputFor(call, route, options);
    const run =
      route.mode === 'sync'
        ? await runSync(`${trim(syncBase)}/${route.endpoint}`, body, headers, context, secrets)
        : await runQueued(queueOptions(queueEnv, route, context, headers, secrets), body);
    return outputOf(call, route, context, run);
  }

  /** Polls a request queued earlier (by this process or one that died) to its result, without queueing again. */
  async function resumeOne(upstream: UpstreamJob, call: ProviderCall, context: ProviderCallContext) {
    const { route, secrets, headers } = prepare(call, context);
    const { statusUrl, responseUrl, cancelUrl } = upstream.data ?? {};
    if (route.mode === 'sync' || !statusUrl || !responseUrl)
      throw configError(id, `cannot resume '${call.model.id}': only queued requests with their URLs resume.`);
    const run = await resumeQueued(queueOptions(queueEnv, route, context, headers, secrets), {
      requestId: upstream.id,
      statusUrl,
      responseUrl,
      cancelUrl,
    });
    return outputOf(call, route, context, run);
  }

  function outputOf(
    call: ProviderCall,
    route: ReturnType<typeof routeOf>,
    context: ProviderCallContext,
    run: { output: unknown; requestId: string | undefined },
  ): Promise<ProviderResult> {
    return readFalOutput(run.output, {
      provider: id,
      fetch: settings.fetch,
      signal: context.signal,
      resultHosts,
      allowHttp,
      downloadTimeoutMs: timing.downloadTimeoutMs,
      maxImageBytes: timing.maxImageBytes,
      contentFilter,
      expected: call.n,
      format: route.outputFormat ? call.outputFormat : undefined,
      requestId: run.requestId,
      modelId: call.model.id,
    });
  }

  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: falOptionsSchema,
    generate: (call: ProviderCall, context: ProviderCallContext) =>
      guardedProviderStep(id, context, () => generateOne(call, context)),
    resume: (upstream: UpstreamJob, call: ProviderCall, context: ProviderCallContext) =>
      guardedProviderStep(id, context, () => resumeOne(upstream, call, context)),
    async verify(): Promise<void> {
      loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'FAL_KEY', provider: id });
    },
  };
}

/** What every queued call of one provider shares. */
interface QueueEnvironment {
  id: string;
  fetch: FetchFunction | undefined;
  queueUrl: string;
  queueHosts: readonly string[];
  allowHttp: boolean;
  timing: { intervalMs: number; maxPollMs: number; maxTransientFailures: number };
}

/** The queue settings of one call; `onQueued` reports the queued request to a job worker. */
function queueOptions(
  env: QueueEnvironment,
  route: { endpoint: string },
  context: ProviderCallContext,
  headers: Record<string, string>,
  secrets: Array<string | undefined>,
): FalQueueOptions {
  return {
    provider: env.id,
    fetch: env.fetch,
    signal: context.signal,
    submitUrl: `${env.queueUrl}/${route.endpoint}`,
    headers,
    queueHosts: env.queueHosts,
    allowHttp: env.allowHttp,
    intervalMs: env.timing.intervalMs,
    maxPollMs: env.timing.maxPollMs,
    maxTransientFailures: env.timing.maxTransientFailures,
    cancelTimeoutMs: 2_000,
    secrets,
    onQueued: (queued) =>
      context.onUpstreamJob?.({
        id: queued.requestId,
        data: {
          statusUrl: queued.statusUrl.href,
          responseUrl: queued.responseUrl.href,
          ...(queued.cancelUrl ? { cancelUrl: queued.cancelUrl.href } : {}),
        },
      }),
  };
}

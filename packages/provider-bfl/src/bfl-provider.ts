/**
 * `createBflProvider`: the Black Forest Labs (FLUX) plugin. One image is one task: submit, poll
 * the URL BFL hands back until the task is `Ready`, then download the expiring result. The key
 * goes to BFL hosts only (submit and poll), never to the host serving the image.
 */
import {
  checkedUrl,
  type FetchFunction,
  GatewayError,
  type GenerationWarning,
  guardedProviderStep,
  type ImageProvider,
  loadApiKey,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseSize,
  type UpstreamJob,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  BFL_DEFAULT_CREDIT_PRICE_USD,
  type BflProviderData,
  bflModels,
  bflProviderDataSchema,
} from './bfl-catalog.ts';
import { type BflOptions, bflOptionsSchema, parseBflOptions } from './bfl-options.ts';
import { pollUntilReady } from './bfl-polling.ts';
import { resultImage } from './bfl-result.ts';
import { type BflSubmittedTask, submitTask } from './bfl-submit.ts';

/** BFL's global API host. */
export const BFL_DEFAULT_BASE_URL = 'https://api.bfl.ai';

/**
 * Hosts BFL answers polling from: the global host, the regional ones and the gateway host named
 * in the issue. The configured base URL's host is always allowed as well.
 */
export const BFL_DEFAULT_POLLING_HOSTS: readonly string[] = Object.freeze([
  'api.bfl.ai',
  'api.eu.bfl.ai',
  'api.us.bfl.ai',
  'gateway.bfl.ai',
]);

/** Hosts result images are downloaded from (UNCONFIRMED: BFL's delivery hosts under bfl.ai). */
export const BFL_DEFAULT_RESULT_HOSTS: readonly string[] = Object.freeze(['*.bfl.ai']);

/** Settings of {@link createBflProvider}. */
export interface BflProviderSettings {
  /** Provider id in qualified model ids (default `bfl`). */
  id?: string;
  /** API key, sent as `x-key`. Defaults to BFL_API_KEY, read at the first call. */
  apiKey?: string;
  /** Base URL (default `https://api.bfl.ai`; regional: `https://api.eu.bfl.ai`, `https://api.us.bfl.ai`). */
  baseURL?: string;
  /** Hosts a `polling_url` may point to (default {@link BFL_DEFAULT_POLLING_HOSTS}); the key is sent there. */
  pollingHosts?: readonly string[];
  /** Hosts a result image may be downloaded from (default {@link BFL_DEFAULT_RESULT_HOSTS}); no key is sent there. */
  resultHosts?: readonly string[];
  /** The fetch implementation: the test seam. */
  fetch?: FetchFunction;
  /** Models to add, or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
  /** Wait between polls (default 500 ms). */
  pollIntervalMs?: number;
  /** Longest a task is polled before `timeout`, within the request deadline (default 5 minutes). */
  maxPollMs?: number;
  /** Transient poll failures (429, 5xx, dropped connections) tolerated in a row (default 5). */
  maxTransientPollFailures?: number;
  /** Longest the result download may take (default 30 s). */
  downloadTimeoutMs?: number;
  /** Largest result image accepted, in bytes (default 32 MiB). */
  maxImageBytes?: number;
  /** US dollars per BFL credit, to report a reply's `cost` (default $0.01, UNCONFIRMED). */
  creditPriceUsd?: number;
}

function configError(provider: string, message: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `${provider}: ${message}`, { provider });
}

function normalizeBaseURL(provider: string, baseURL: string | undefined): URL {
  const value = (baseURL ?? BFL_DEFAULT_BASE_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(provider, `baseURL '${value}' is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw configError(provider, 'baseURL must be http(s).');
  if (url.search || url.hash)
    throw configError(provider, 'baseURL must not carry a query string or fragment.');
  return url;
}

function positive(provider: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0))
    throw configError(provider, `${name} must be a positive number.`);
  return value;
}

function mergeModels(
  base: ModelDescriptorInput[],
  extra: ModelDescriptorInput[] | undefined,
  provider: string,
) {
  const byId = new Map(base.map((model) => [model.id, model]));
  for (const model of extra ?? []) byId.set(model.id, { ...model, provider: model.provider ?? provider });
  return [...byId.values()];
}

function routeOf(
  provider: string,
  model: Pick<ModelDescriptorInput, 'id' | 'providerData'>,
): BflProviderData {
  const parsed = bflProviderDataSchema.safeParse(model.providerData ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(
      provider,
      `model '${model.id}' has invalid providerData (${issue ? `${issue.path.join('.') || 'providerData'}: ${issue.message}` : 'invalid'}). Give { endpoint: '/v1/...', sizing: 'dimensions' | 'aspect_ratio', options? }.`,
    );
  }
  return parsed.data;
}

/** The JSON body of a submit. */
function submitBody(
  call: ProviderCall,
  route: BflProviderData,
  options: BflOptions,
  format: string,
): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: call.prompt, output_format: format, ...options };
  if (call.seed !== undefined) body.seed = call.seed;
  if (route.sizing === 'aspect_ratio') {
    body.aspect_ratio = call.aspectRatio ?? call.model.defaults.aspectRatio;
  } else {
    const size = parseSize(call.size && call.size !== 'auto' ? call.size : (call.model.defaults.size ?? ''));
    if (!size)
      throw validationError('size', `'${call.model.provider}/${call.model.id}' needs a WIDTHxHEIGHT size.`);
    body.width = size.width;
    body.height = size.height;
  }
  return body;
}

/**
 * Creates the BFL provider: the FLUX catalog as data and a `generate` that submits one task,
 * polls it on allow-listed hosts within the deadline, and downloads the result without the key.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a malformed baseURL, setting or model providerData.
 */
export function createBflProvider(settings: BflProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'bfl';
  const base = normalizeBaseURL(id, settings.baseURL);
  const baseURL = base.href.replace(/\/+$/, '');
  const pollingHosts = [...(settings.pollingHosts ?? BFL_DEFAULT_POLLING_HOSTS), base.host];
  const resultHosts = [...(settings.resultHosts ?? BFL_DEFAULT_RESULT_HOSTS)];
  const allowHttp = base.protocol === 'http:';
  const timing = {
    intervalMs: positive(id, 'pollIntervalMs', settings.pollIntervalMs, 500),
    maxPollMs: positive(id, 'maxPollMs', settings.maxPollMs, 300_000),
    maxTransientFailures: settings.maxTransientPollFailures ?? 5,
    downloadTimeoutMs: positive(id, 'downloadTimeoutMs', settings.downloadTimeoutMs, 30_000),
    maxImageBytes: positive(id, 'maxImageBytes', settings.maxImageBytes, 32 * 1024 * 1024),
  };
  const creditPriceUsd = settings.creditPriceUsd ?? BFL_DEFAULT_CREDIT_PRICE_USD;
  const models = mergeModels(bflModels({ providerId: id }), settings.models, id);
  for (const model of models) routeOf(id, model);

  const finishEnv: FinishEnvironment = {
    id,
    fetch: settings.fetch,
    apiKey: settings.apiKey,
    resultHosts,
    allowHttp,
    timing,
    creditPriceUsd,
  };
  const resolveKey = (context: ProviderCallContext): string =>
    context.credentials?.apiKey ??
    loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'BFL_API_KEY', provider: id });

  /** Checks the call and answers its route, options, output format and key. */
  function prepare(call: ProviderCall, context: ProviderCallContext) {
    const route = routeOf(id, call.model);
    const options = parseBflOptions(id, call.providerOptions, route, `${id}/${call.model.id}`);
    if (call.n !== 1)
      throw configError(
        id,
        `model '${call.model.id}' returns one image per task; declare maxImagesPerCall 1 so dispatch splits n.`,
      );
    const format = call.outputFormat ?? call.model.defaults.outputFormat ?? 'png';
    return { route, options, format, key: resolveKey(context) };
  }

  async function generateOne(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
    const { route, options, format, key } = prepare(call, context);
    const task = await submitTask(call, route, submitBody(call, route, options, format), key, context, {
      provider: id,
      baseURL,
      fetch: settings.fetch,
      pollingHosts,
      allowHttp,
      apiKey: settings.apiKey,
    });
    // Paid for from here on: a job worker keeps the task, so a successor polls it instead of submitting again.
    context.onUpstreamJob?.({
      id: task.taskId,
      data: {
        pollingUrl: task.pollingUrl.href,
        ...(task.cost === undefined ? {} : { cost: String(task.cost) }),
      },
    });
    return finish(finishEnv, call, context, task, key, format);
  }

  /** Polls a task submitted earlier (by this process or one that died) to its result. */
  async function resumeOne(upstream: UpstreamJob, call: ProviderCall, context: ProviderCallContext) {
    const { format, key } = prepare(call, context);
    const pollingText =
      upstream.data?.pollingUrl ?? `${baseURL}/v1/get_result?id=${encodeURIComponent(upstream.id)}`;
    // Read back from the queue: checked against the polling hosts again before the key goes there.
    const pollingUrl = checkedUrl(pollingText, {
      provider: id,
      hosts: pollingHosts,
      allowHttp,
      what: 'polling URL',
    });
    const cost = upstream.data?.cost === undefined ? undefined : Number(upstream.data.cost);
    const task = { taskId: upstream.id, pollingUrl, cost: Number.isFinite(cost) ? cost : undefined };
    return finish(finishEnv, call, context, task, key, format);
  }

  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: bflOptionsSchema,
    generate: (call: ProviderCall, context: ProviderCallContext) =>
      guardedProviderStep(id, context, () => generateOne(call, context)),
    resume: (upstream: UpstreamJob, call: ProviderCall, context: ProviderCallContext) =>
      guardedProviderStep(id, context, () => resumeOne(upstream, call, context)),
    async verify(): Promise<void> {
      loadApiKey({ apiKey: settings.apiKey, environmentVariable: 'BFL_API_KEY', provider: id });
    },
  };
}

/** What polling and downloading a task of one provider needs. */
interface FinishEnvironment {
  id: string;
  fetch: FetchFunction | undefined;
  apiKey: string | undefined;
  resultHosts: string[];
  allowHttp: boolean;
  timing: {
    intervalMs: number;
    maxPollMs: number;
    maxTransientFailures: number;
    downloadTimeoutMs: number;
    maxImageBytes: number;
  };
  creditPriceUsd: number;
}

/** Polls a submitted task until it is ready and downloads its image. */
async function finish(
  env: FinishEnvironment,
  call: ProviderCall,
  context: ProviderCallContext,
  task: BflSubmittedTask,
  key: string,
  format: string,
): Promise<ProviderResult> {
  const ready = await pollUntilReady({
    provider: env.id,
    fetch: env.fetch,
    signal: context.signal,
    url: task.pollingUrl,
    headers: { 'x-key': key, accept: 'application/json' },
    taskId: task.taskId,
    intervalMs: env.timing.intervalMs,
    maxPollMs: env.timing.maxPollMs,
    maxTransientFailures: env.timing.maxTransientFailures,
    secrets: [key, env.apiKey],
    maxResponseBytes: 1024 * 1024,
  });
  const warnings: GenerationWarning[] = [];
  const picture = await resultImage(call, ready.sample, context, format, warnings, task.taskId, {
    provider: env.id,
    fetch: env.fetch,
    resultHosts: env.resultHosts,
    allowHttp: env.allowHttp,
    downloadTimeoutMs: env.timing.downloadTimeoutMs,
    maxImageBytes: env.timing.maxImageBytes,
  });
  const seed = ready.seed ?? call.seed;
  return {
    images: [{ ...picture, ...(seed === undefined ? {} : { seed }) }],
    ...(task.cost === undefined
      ? {}
      : { costUsd: Math.round(task.cost * env.creditPriceUsd * 1_000_000) / 1_000_000 }),
    ...(warnings.length ? { warnings } : {}),
    response: { upstreamRequestId: task.taskId, modelId: call.model.id, status: 200 },
  };
}

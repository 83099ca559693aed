/**
 * A fake Stability AI server: a real HTTP server on 127.0.0.1 that parses multipart like the v2beta
 * API, validates per endpoint, answers in both reply formats with real images of the right size,
 * speaks the v1 JSON API with the SDXL size whitelist, and can be told to fail the ways the real
 * one does. Behaviour follows the shared wire reference (provider-apis.md section 2); points the
 * reference marks UNCONFIRMED are options.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitUnlessClosed } from '@pixelgate/core';
import { drawTestImage, sniffImage } from '@pixelgate/core/provider-utils';
import {
  type AspectRatioSizes,
  DEFAULT_ASPECT_RATIO_SIZES,
  SDXL_V1_SIZES,
  STABILITY_ASPECT_RATIOS,
  STABILITY_CREDITS_PER_IMAGE,
  STABILITY_SD3_LEGACY_MODELS,
  STABILITY_SD3_MODELS,
  STABILITY_STYLE_PRESETS,
  STABILITY_V1_CLIP_GUIDANCE_PRESETS,
  STABILITY_V1_SAMPLERS,
  type StabilityEndpoint,
} from '../stability-catalog.ts';
import {
  type SlidingWindowLimit,
  SlidingWindowLimiter,
  STABILITY_RATE_LIMIT,
} from './sliding-window-limiter.ts';

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
  /** File fields of a multipart body (size and type only). */
  files: Record<string, { size: number; type: string }>;
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

const V2BETA_FIELDS: Record<StabilityEndpoint, readonly string[]> = {
  ultra: [
    'prompt',
    'negative_prompt',
    'aspect_ratio',
    'seed',
    'output_format',
    'style_preset',
    'image',
    'strength',
  ],
  core: ['prompt', 'negative_prompt', 'aspect_ratio', 'seed', 'output_format', 'style_preset'],
  sd3: [
    'prompt',
    'negative_prompt',
    'aspect_ratio',
    'seed',
    'output_format',
    'style_preset',
    'image',
    'strength',
    'mode',
    'model',
    'cfg_scale',
  ],
};

const V1_FIELDS = [
  'text_prompts',
  'height',
  'width',
  'cfg_scale',
  'clip_guidance_preset',
  'sampler',
  'samples',
  'seed',
  'steps',
  'style_preset',
  'extras',
];

/** Engines of `/v1/engines/list` and their size rules; v1-6 is read as a 512 engine (UNCONFIRMED). */
const DEFAULT_V1_ENGINES: Record<string, V1EngineSizeRule> = {
  'stable-diffusion-xl-1024-v1-0': 'sdxl',
  'stable-diffusion-xl-1024-v0-9': 'sdxl',
  'stable-diffusion-xl-beta-v2-2-2': 'beta',
  'stable-diffusion-512-v2-1': '512',
  'stable-diffusion-768-v2-1': '768',
  'stable-diffusion-v1-5': '512',
  'stable-diffusion-v1-6': '512',
};

const V2BETA_MAX_SEED = 4_294_967_294;
const V1_MAX_SEED = 4_294_967_295;
const RENDER_CACHE_LIMIT = 32;

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

function errorId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Starts a fake Stability server on 127.0.0.1 on a random port. Always `close()` it (afterAll or
 * afterEach): it cuts open connections and pending slow answers.
 */
export async function startFakeStabilityServer(
  options: FakeStabilityServerOptions = {},
): Promise<FakeStabilityServer> {
  const apiKeys = new Set(options.apiKeys ?? ['sk-test-stability-fake-key']);
  const maxRequestBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
  const unknownFields = options.unknownFields ?? 'reject';
  const sendRequestId = options.sendRequestId ?? true;
  const retired = new Set(options.retiredModels ?? []);
  const engines = { ...DEFAULT_V1_ENGINES, ...options.v1Engines };
  const pixelSizes: Record<StabilityEndpoint, AspectRatioSizes> = {
    ultra: { ...DEFAULT_ASPECT_RATIO_SIZES.ultra, ...options.pixelSizes?.ultra },
    core: { ...DEFAULT_ASPECT_RATIO_SIZES.core, ...options.pixelSizes?.core },
    sd3: { ...DEFAULT_ASPECT_RATIO_SIZES.sd3, ...options.pixelSizes?.sd3 },
  };
  const limitSettings = options.rateLimit === true ? STABILITY_RATE_LIMIT : options.rateLimit || undefined;
  const limiter = limitSettings ? new SlidingWindowLimiter(limitSettings, options.now) : undefined;
  const scenarios: FakeStabilityScenario[] = [];
  const requests: FakeStabilityRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const renderCache = new Map<string, Promise<Uint8Array>>();
  let creditsUsed = 0;
  let seedCounter = 0;

  const render = (
    width: number,
    height: number,
    format: 'png' | 'jpeg' | 'webp',
    prompt: string,
    seed: number,
  ) => {
    const key = `${width}x${height}/${format}/${seed}/${prompt}`;
    let cached = renderCache.get(key);
    if (!cached) {
      cached = Promise.resolve(
        drawTestImage({ width, height, format, prompt, seed, noise: options.noise ?? 0 }),
      );
      if (renderCache.size >= RENDER_CACHE_LIMIT) renderCache.delete(renderCache.keys().next().value!);
      renderCache.set(key, cached);
      cached.catch(() => renderCache.delete(key));
    }
    return cached;
  };

  const randomSeed = () => {
    seedCounter = (seedCounter + 1) % 1000;
    return 1 + ((randomBytes(4).readUInt32BE(0) + seedCounter) % V2BETA_MAX_SEED);
  };

  const notifyWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      if (requests.length >= waiter.count) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  const wait = (ms: number, response: ServerResponse) => waitUnlessClosed(ms, response, timers);

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) {
        sendJson(response, 500, {
          id: errorId(),
          name: 'internal_error',
          errors: [`fake server failure: ${String(error)}`],
        });
      } else {
        response.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function baseHeaders(): Record<string, string> {
    return sendRequestId ? { 'x-request-id': errorId() } : {};
  }

  function sendJson(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      ...baseHeaders(),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    response.end(text);
  }

  function sendError(
    response: ServerResponse,
    v1: boolean,
    failure: HttpFailure,
    headers: Record<string, string> = {},
  ): void {
    const body = v1
      ? { id: errorId(), name: failure.errorName, message: failure.message }
      : { id: errorId(), name: failure.errorName, errors: [failure.message] };
    sendJson(response, failure.status, body, headers);
  }

  async function readBody(request: IncomingMessage): Promise<Buffer | 'too_large'> {
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxRequestBytes) return 'too_large';
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of request) {
      total += (chunk as Buffer).byteLength;
      if (total > maxRequestBytes) return 'too_large';
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const path = url.split('?')[0]!;
    const record: FakeStabilityRequest = {
      method: request.method ?? 'GET',
      url,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      ),
      fields: {},
      files: {},
      bodyBytes: 0,
      clientAborted: false,
    };
    requests.push(record);
    notifyWaiters();
    response.on('close', () => {
      if (!response.writableFinished) record.clientAborted = true;
    });
    response.on('finish', () => {
      record.status = response.statusCode;
    });

    const v2 = /^\/v2beta\/stable-image\/generate\/([^/]+)$/.exec(path);
    const v1 = /^\/v1\/generation\/([^/]+)\/text-to-image$/.exec(path);
    const isV1 = v1 !== null || path.startsWith('/v1/');

    if (request.method === 'GET' && path === '/v1/engines/list') {
      if (!authorized(request))
        return sendError(response, true, new HttpFailure(401, 'unauthorized', 'Missing or invalid API key.'));
      return sendJson(
        response,
        200,
        Object.keys(engines)
          .filter((engine) => !retired.has(engine))
          .map((engine) => ({ id: engine, name: engine, description: engine, type: 'PICTURE' })),
      );
    }
    if (request.method !== 'POST' || (!v2 && !v1)) {
      request.resume();
      return sendError(
        response,
        isV1,
        new HttpFailure(404, 'not_found', `${request.method} ${path} does not exist.`),
      );
    }

    const body = await readBody(request);
    if (body === 'too_large') {
      // Answer at once and close: the rest of an oversized body is not worth reading.
      response.setHeader('connection', 'close');
      sendError(
        response,
        isV1,
        new HttpFailure(413, 'payload_too_large', `request: must be at most ${maxRequestBytes} bytes`),
      );
      response.once('finish', () => request.destroy());
      return;
    }
    record.bodyBytes = body.byteLength;

    if (!authorized(request)) {
      return sendError(
        response,
        isV1,
        new HttpFailure(401, 'unauthorized', 'authorization: missing or invalid API key'),
      );
    }
    if (limiter) {
      const wait = limiter.take(request.headers.authorization ?? '');
      if (wait !== undefined) {
        return sendError(
          response,
          isV1,
          new HttpFailure(
            429,
            'rate_limit_exceeded',
            'You have exceeded the rate limit of 150 requests within a 10 second period; you are locked out for 60 seconds.',
          ),
          options.retryAfterOnRateLimit ? { 'retry-after': String(Math.ceil(wait / 1000)) } : {},
        );
      }
    }

    const scenario = scenarios.shift() ?? 'success';
    const early = earlyFailure(scenario, isV1);
    if (early) return sendError(response, isV1, early.failure, early.headers);

    try {
      if (v2) await handleV2beta(v2[1]!, request, response, body, record, scenario);
      else await handleV1(v1![1]!, request, response, body, record, scenario);
    } catch (error) {
      if (error instanceof HttpFailure) return sendError(response, isV1, error);
      throw error;
    }
  }

  function authorized(request: IncomingMessage): boolean {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    return match !== null && apiKeys.has(match[1]!);
  }

  function earlyFailure(
    scenario: FakeStabilityScenario,
    v1: boolean,
  ): { failure: HttpFailure; headers?: Record<string, string> } | undefined {
    const type = typeof scenario === 'string' ? scenario : scenario.type;
    switch (type) {
      case 'unauthorized':
        return { failure: new HttpFailure(401, 'unauthorized', 'authorization: missing or invalid API key') };
      case 'moderation':
        return {
          failure: new HttpFailure(
            403,
            v1 ? 'permission_denied' : 'content_moderation',
            'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
          ),
        };
      case 'rate_limited': {
        const seconds =
          typeof scenario === 'object' && scenario.type === 'rate_limited'
            ? scenario.retryAfterSeconds
            : undefined;
        return {
          failure: new HttpFailure(
            429,
            'rate_limit_exceeded',
            'You have exceeded the rate limit of 150 requests within a 10 second period.',
          ),
          ...(seconds === undefined ? {} : { headers: { 'retry-after': String(seconds) } }),
        };
      }
      case 'insufficient_credit':
        return {
          failure: new HttpFailure(
            402,
            'payment_required',
            'You lack sufficient credits to make this request.',
          ),
        };
      case 'not_found':
        return {
          failure: new HttpFailure(404, 'not_found', 'The requested model or engine does not exist.'),
        };
      case 'invalid_language':
        return {
          failure: new HttpFailure(
            422,
            'invalid_language',
            'prompt: English is the only supported language for this service.',
          ),
        };
      case 'server_error':
      case 'service_unavailable': {
        const status =
          typeof scenario === 'object' && scenario.type === 'server_error'
            ? (scenario.status ?? 500)
            : type === 'server_error'
              ? 500
              : 503;
        return {
          failure: new HttpFailure(
            status,
            v1 ? 'server_error' : 'internal_error',
            'An unexpected server error has occurred, please try again later.',
          ),
        };
      }
      default:
        return undefined;
    }
  }

  function checkWords(prompt: string): 'moderated' | 'filtered' | undefined {
    const lower = prompt.toLowerCase();
    if (options.moderatedWords?.some((word) => lower.includes(word.toLowerCase()))) return 'moderated';
    if (options.filteredWords?.some((word) => lower.includes(word.toLowerCase()))) return 'filtered';
    return undefined;
  }

  function charge(credits: number): void {
    if (options.credits !== undefined && creditsUsed + credits > options.credits) {
      throw new HttpFailure(402, 'payment_required', 'You lack sufficient credits to make this request.');
    }
  }

  async function handleV2beta(
    kindText: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    record: FakeStabilityRequest,
    scenario: FakeStabilityScenario,
  ): Promise<void> {
    if (kindText !== 'ultra' && kindText !== 'core' && kindText !== 'sd3') {
      throw new HttpFailure(404, 'not_found', `/v2beta/stable-image/generate/${kindText} does not exist.`);
    }
    const kind: StabilityEndpoint = kindText;
    const contentType = request.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(contentType)) {
      throw new HttpFailure(400, 'bad_request', 'content-type: must be multipart/form-data');
    }
    const accept = (request.headers.accept ?? 'image/*').trim().toLowerCase();
    const wantsJson = accept === 'application/json';
    if (!wantsJson && accept !== 'image/*' && accept !== '*/*') {
      throw new HttpFailure(400, 'bad_request', 'accept: must be one of application/json, image/*');
    }
    for (const name of ['stability-client-id', 'stability-client-user-id', 'stability-client-version']) {
      const value = request.headers[name];
      if (typeof value === 'string' && value.length > 256) {
        throw new HttpFailure(400, 'bad_request', `${name}: must be at most 256 characters`);
      }
    }

    let form: FormData;
    try {
      form = await new Request('http://fake.invalid/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) as Uint8Array<ArrayBuffer>,
      }).formData();
    } catch {
      throw new HttpFailure(400, 'bad_request', 'body: could not be parsed as multipart/form-data');
    }
    const fields: Record<string, string> = {};
    const files: Record<string, Uint8Array> = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        fields[name] = value;
        record.fields[name] = value;
      } else {
        // The official Python sample sends an empty file named `none` only to force multipart.
        record.files[name] = { size: value.size, type: value.type };
        if (name !== 'none') files[name] = new Uint8Array(await value.arrayBuffer());
      }
    }
    const allowed = V2BETA_FIELDS[kind];
    if (unknownFields === 'reject') {
      for (const name of [...Object.keys(fields), ...Object.keys(files)]) {
        if (!allowed.includes(name))
          throw new HttpFailure(400, 'bad_request', `${name}: is not allowed for ${kind}`);
      }
    }

    const prompt = fields.prompt;
    if (prompt === undefined) throw new HttpFailure(400, 'bad_request', 'prompt: is required');
    if (prompt.length < 1 || prompt.length > 10_000) {
      throw new HttpFailure(400, 'bad_request', 'prompt: must be between 1 and 10000 characters');
    }
    const negative = fields.negative_prompt;
    if (negative !== undefined && negative.length > 10_000) {
      throw new HttpFailure(400, 'bad_request', 'negative_prompt: must be at most 10000 characters');
    }
    const outputFormat = fields.output_format ?? 'png';
    if (outputFormat !== 'png' && outputFormat !== 'jpeg' && outputFormat !== 'webp') {
      throw new HttpFailure(400, 'bad_request', 'output_format: must be one of jpeg, png, webp');
    }
    let seed = 0;
    if (fields.seed !== undefined) {
      if (!/^\d{1,10}$/.test(fields.seed) || Number(fields.seed) > V2BETA_MAX_SEED) {
        throw new HttpFailure(
          400,
          'bad_request',
          `seed: must be an integer between 0 and ${V2BETA_MAX_SEED}`,
        );
      }
      seed = Number(fields.seed);
    }
    if (
      fields.style_preset !== undefined &&
      !(STABILITY_STYLE_PRESETS as readonly string[]).includes(fields.style_preset)
    ) {
      throw new HttpFailure(
        400,
        'bad_request',
        `style_preset: must be one of ${STABILITY_STYLE_PRESETS.join(', ')}`,
      );
    }
    let model: string | undefined;
    if (kind === 'sd3') {
      model = fields.model ?? 'sd3.5-large';
      const known =
        (STABILITY_SD3_MODELS as readonly string[]).includes(model) || model in STABILITY_SD3_LEGACY_MODELS;
      if (!known)
        throw new HttpFailure(400, 'bad_request', `model: must be one of ${STABILITY_SD3_MODELS.join(', ')}`);
      if (retired.has(model)) throw new HttpFailure(404, 'not_found', `model: ${model} has been retired`);
      model = STABILITY_SD3_LEGACY_MODELS[model] ?? model;
      if (fields.cfg_scale !== undefined && !Number.isFinite(Number(fields.cfg_scale))) {
        throw new HttpFailure(400, 'bad_request', 'cfg_scale: must be a number');
      }
    } else if (retired.has(`stable-image-${kind}`)) {
      throw new HttpFailure(404, 'not_found', `stable-image-${kind} has been retired`);
    }
    const mode = fields.mode ?? 'text-to-image';
    if (kind === 'sd3' && mode !== 'text-to-image' && mode !== 'image-to-image') {
      throw new HttpFailure(400, 'bad_request', 'mode: must be one of text-to-image, image-to-image');
    }
    const imageToImage =
      (kind === 'sd3' && mode === 'image-to-image') || (kind === 'ultra' && files.image !== undefined);
    let inputSize: { width: number; height: number } | undefined;
    if (imageToImage) {
      const image = files.image;
      if (!image) throw new HttpFailure(400, 'bad_request', 'image: is required for image-to-image');
      const sniffed = sniffImage(image);
      if (!sniffed || sniffed.mediaType === 'image/gif' || !sniffed.width || !sniffed.height) {
        throw new HttpFailure(400, 'bad_request', 'image: must be a jpeg, png or webp image');
      }
      if (sniffed.width < 64 || sniffed.height < 64)
        throw new HttpFailure(400, 'bad_request', 'image: each side must be at least 64 pixels');
      if (
        kind === 'ultra' &&
        (sniffed.width > 16_384 || sniffed.height > 16_384 || sniffed.width * sniffed.height < 4096)
      ) {
        throw new HttpFailure(
          400,
          'bad_request',
          'image: sides must be 64-16384 pixels and the image at least 4096 pixels',
        );
      }
      if (fields.strength === undefined)
        throw new HttpFailure(400, 'bad_request', 'strength: is required for image-to-image');
      const strength = Number(fields.strength);
      if (!(strength >= 0 && strength <= 1))
        throw new HttpFailure(400, 'bad_request', 'strength: must be between 0 and 1');
      if (kind === 'sd3' && fields.aspect_ratio !== undefined) {
        throw new HttpFailure(400, 'bad_request', 'aspect_ratio: is only allowed for text-to-image');
      }
      inputSize = { width: sniffed.width, height: sniffed.height };
    } else if (files.image !== undefined || fields.strength !== undefined) {
      throw new HttpFailure(
        400,
        'bad_request',
        `${files.image ? 'image' : 'strength'}: is only allowed with mode=image-to-image`,
      );
    }
    const ratio = fields.aspect_ratio ?? '1:1';
    if (!(STABILITY_ASPECT_RATIOS as readonly string[]).includes(ratio)) {
      throw new HttpFailure(
        400,
        'bad_request',
        `aspect_ratio: must be one of ${STABILITY_ASPECT_RATIOS.join(', ')}`,
      );
    }
    const words = checkWords(prompt);
    if (words === 'moderated') {
      throw new HttpFailure(
        403,
        'content_moderation',
        'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
      );
    }
    const price =
      kind === 'sd3'
        ? STABILITY_CREDITS_PER_IMAGE[model!]!
        : STABILITY_CREDITS_PER_IMAGE[`stable-image-${kind}`]!;
    charge(price);

    const size = inputSize ?? parseWxH(pixelSizes[kind][ratio] ?? '1024x1024');
    const usedSeed = seed === 0 ? randomSeed() : seed;
    const type = typeof scenario === 'string' ? scenario : scenario.type;
    const filtered = type === 'content_filtered' || words === 'filtered';
    // A filtered image is still an image (Stability blurs it); here a distinct placeholder stands in for the blur.
    const bytes = await render(
      size.width,
      size.height,
      outputFormat,
      filtered ? '[content filtered: blurred]' : `${prompt}\u0000${negative ?? ''}`,
      usedSeed,
    );
    const finishReason = filtered ? 'CONTENT_FILTERED' : 'SUCCESS';
    if (wantsJson) {
      const text = JSON.stringify({
        image: Buffer.from(bytes).toString('base64'),
        finish_reason: finishReason,
        seed: usedSeed,
      });
      return deliver(response, scenario, price, Buffer.from(text), {
        'content-type': `application/json; type=image/${outputFormat}`,
      });
    }
    return deliver(response, scenario, price, Buffer.from(bytes), {
      'content-type': `image/${outputFormat}`,
      'finish-reason': finishReason,
      seed: String(usedSeed),
    });
  }

  async function handleV1(
    engine: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    record: FakeStabilityRequest,
    scenario: FakeStabilityScenario,
  ): Promise<void> {
    const rule = engines[engine];
    if (!rule || retired.has(engine))
      throw new HttpFailure(404, 'not_found', `engine: ${engine} was not found`);
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw new HttpFailure(400, 'bad_request', 'content-type: must be application/json');
    }
    const accept = (request.headers.accept ?? 'application/json').trim().toLowerCase();
    if (accept !== 'application/json' && accept !== 'image/png' && accept !== '*/*') {
      throw new HttpFailure(400, 'bad_request', 'accept: must be application/json or image/png');
    }
    const wantsJson = accept !== 'image/png';
    let json: Record<string, unknown>;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      json = parsed as Record<string, unknown>;
    } catch {
      throw new HttpFailure(400, 'bad_request', 'body: must be a JSON object');
    }
    record.json = json;
    if (unknownFields === 'reject') {
      for (const name of Object.keys(json)) {
        if (!V1_FIELDS.includes(name)) throw new HttpFailure(400, 'bad_request', `${name}: is not allowed`);
      }
    }
    const prompts = json.text_prompts;
    if (!Array.isArray(prompts) || prompts.length === 0) {
      throw new HttpFailure(
        400,
        'bad_request',
        'text_prompts: is required and must hold at least one prompt',
      );
    }
    for (const [index, prompt] of prompts.entries()) {
      const text = (prompt as { text?: unknown }).text;
      const weight = (prompt as { weight?: unknown }).weight;
      if (typeof text !== 'string' || text.length === 0 || text.length > 2000) {
        throw new HttpFailure(400, 'bad_request', `text_prompts[${index}].text: must be 1-2000 characters`);
      }
      if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight))) {
        throw new HttpFailure(400, 'bad_request', `text_prompts[${index}].weight: must be a number`);
      }
    }
    const integer = (
      name: string,
      min: number,
      max: number,
      fallback: number,
      errorName = 'bad_request',
    ): number => {
      const value = json[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new HttpFailure(400, errorName, `${name}: must be an integer between ${min} and ${max}`);
      }
      return value;
    };
    const width = integer('width', 128, 16_384, 512, 'invalid_height_or_width');
    const height = integer('height', 128, 16_384, 512, 'invalid_height_or_width');
    if (width % 64 !== 0 || height % 64 !== 0) {
      throw new HttpFailure(400, 'invalid_height_or_width', 'height and width: must be multiples of 64');
    }
    checkV1Size(rule, width, height);
    const samples = integer('samples', 1, 10, 1, 'invalid_samples');
    if (samples > 1 && !wantsJson) {
      throw new HttpFailure(400, 'invalid_samples', 'samples: more than 1 requires accept: application/json');
    }
    const seed = integer('seed', 0, V1_MAX_SEED, 0);
    integer('steps', 10, 150, 50);
    const cfg = json.cfg_scale;
    if (cfg !== undefined && (typeof cfg !== 'number' || cfg < 0 || cfg > 35)) {
      throw new HttpFailure(400, 'bad_request', 'cfg_scale: must be a number between 0 and 35');
    }
    const enumField = (name: string, values: readonly string[]) => {
      const value = json[name];
      if (value !== undefined && (typeof value !== 'string' || !values.includes(value))) {
        throw new HttpFailure(400, 'bad_request', `${name}: must be one of ${values.join(', ')}`);
      }
    };
    enumField('sampler', STABILITY_V1_SAMPLERS);
    enumField('clip_guidance_preset', STABILITY_V1_CLIP_GUIDANCE_PRESETS);
    enumField('style_preset', STABILITY_STYLE_PRESETS);

    const positive = prompts
      .filter((p) => ((p as { weight?: number }).weight ?? 1) >= 0)
      .map((p) => (p as { text: string }).text)
      .join(' ');
    const words = checkWords(positive);
    if (words === 'moderated') {
      throw new HttpFailure(
        400,
        'invalid_prompts',
        'text_prompts: one or more prompts contains filtered words',
      );
    }
    const price = (STABILITY_CREDITS_PER_IMAGE[engine] ?? 0.9) * samples;
    charge(price);

    const type = typeof scenario === 'string' ? scenario : scenario.type;
    const filteredCount =
      words === 'filtered'
        ? samples
        : type === 'content_filtered'
          ? Math.min(
              samples,
              typeof scenario === 'object' && scenario.type === 'content_filtered'
                ? (scenario.count ?? samples)
                : samples,
            )
          : 0;
    const baseSeed = seed === 0 ? randomSeed() : seed;
    const mixed = typeof scenario === 'object' && scenario.type === 'mixed_artifacts' ? scenario : undefined;
    const filteredUpTo = mixed ? Math.min(samples, mixed.filtered ?? 0) : filteredCount;
    const failedUpTo = mixed ? Math.min(samples, filteredUpTo + (mixed.failed ?? 0)) : filteredUpTo;
    const artifacts: Array<{ bytes: Uint8Array; seed: number; finishReason: string }> = [];
    for (let index = 0; index < samples; index++) {
      const artifactSeed = (baseSeed + index) % (V1_MAX_SEED + 1);
      const filtered = index < filteredUpTo;
      const failed = !filtered && index < failedUpTo;
      const bytes = failed
        ? new Uint8Array(0)
        : await render(
            width,
            height,
            'png',
            filtered ? '[content filtered: blurred]' : positive,
            artifactSeed,
          );
      const finishReason = filtered ? 'CONTENT_FILTERED' : failed ? 'ERROR' : 'SUCCESS';
      artifacts.push({ bytes, seed: artifactSeed, finishReason });
    }
    if (wantsJson) {
      const text = JSON.stringify({
        artifacts: artifacts.map((a) => ({
          ...(a.finishReason === 'ERROR' ? {} : { base64: Buffer.from(a.bytes).toString('base64') }),
          seed: a.seed,
          finishReason: a.finishReason,
        })),
      });
      return deliver(response, scenario, price, Buffer.from(text), { 'content-type': 'application/json' });
    }
    const only = artifacts[0]!;
    return deliver(response, scenario, price, Buffer.from(only.bytes), {
      'content-type': 'image/png',
      'finish-reason': only.finishReason,
      seed: String(only.seed),
    });
  }

  function checkV1Size(rule: V1EngineSizeRule, width: number, height: number): void {
    const pixels = width * height;
    if (rule === 'sdxl' && !(SDXL_V1_SIZES as readonly string[]).includes(`${width}x${height}`)) {
      throw new HttpFailure(
        400,
        'invalid_sdxl_v1_dimensions',
        `height and width: for SDXL v1 must be one of ${SDXL_V1_SIZES.join(', ')}`,
      );
    }
    if (rule === '512' && (pixels < 262_144 || pixels > 1_048_576)) {
      throw new HttpFailure(
        400,
        'invalid_pixel_count',
        'height and width: must total 262144 to 1048576 pixels',
      );
    }
    if (rule === '768' && (pixels < 589_824 || pixels > 1_048_576)) {
      throw new HttpFailure(
        400,
        'invalid_pixel_count',
        'height and width: must total 589824 to 1048576 pixels',
      );
    }
    if (rule === 'beta') {
      const tooBig =
        (width > 512 && height > 512) || Math.max(width, height) > 896 || Math.min(width, height) > 512;
      if (tooBig) {
        throw new HttpFailure(
          400,
          'invalid_sdxl_v222_dimensions',
          'height and width: at most one side above 512, at most 512x896',
        );
      }
    }
  }

  /**
   * Sends a success answer, shaped by the output scenario (slow, truncated, garbage). Credits are
   * charged only when a complete, good answer went out.
   */
  async function deliver(
    response: ServerResponse,
    scenario: FakeStabilityScenario,
    credits: number,
    payload: Buffer,
    headers: Record<string, string>,
  ): Promise<void> {
    const type = typeof scenario === 'string' ? scenario : scenario.type;
    if (type === 'slow') {
      const delayMs =
        typeof scenario === 'object' && scenario.type === 'slow' ? (scenario.delayMs ?? 5000) : 5000;
      const stillThere = await wait(delayMs, response);
      if (!stillThere) return;
    }
    if (type === 'garbage') {
      // Claims the expected type but is not: bytes that are neither an image nor JSON.
      const junk = Buffer.from('\u0000not-an-image-and-not-json{{{', 'utf8');
      response.writeHead(200, { ...baseHeaders(), ...headers, 'content-length': String(junk.byteLength) });
      response.end(junk);
      return;
    }
    response.writeHead(200, { ...baseHeaders(), ...headers, 'content-length': String(payload.byteLength) });
    if (type === 'truncated') {
      // Announce the full length, send half, then drop the connection.
      response.write(payload.subarray(0, Math.max(1, Math.floor(payload.byteLength / 2))), () => {
        response.socket?.destroy();
      });
      return;
    }
    response.once('finish', () => {
      creditsUsed += credits;
    });
    response.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get creditsUsed() {
      return creditsUsed;
    },
    enqueue(...more: FakeStabilityScenario[]) {
      scenarios.push(...more);
    },
    waitForRequests(count: number) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    reset() {
      requests.length = 0;
      scenarios.length = 0;
      limiter?.reset();
      creditsUsed = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const waiter of waiters.splice(0)) waiter.resolve();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function parseWxH(value: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new HttpFailure(500, 'internal_error', `fake server: bad pixel size '${value}'`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

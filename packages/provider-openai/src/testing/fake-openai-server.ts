import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitUnlessClosed } from '@pixelgate/core';
import { drawTestImage, parseSize } from '@pixelgate/core/provider-utils';
import { type ModelDescriptorInput, modelDescriptorSchema } from '@pixelgate/core/spec';
import { DALL_E_3_NO_REWRITE_PREFIX, OPENAI_MODELS, openAIModelData } from '../openai-catalog.ts';

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
  /** A 200 whose body stops half way (content-length promises more; the socket is destroyed). */
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
  /** Any status, body and headers. */
  | { type: 'error'; status: number; body: unknown; headers?: Record<string, string> };

/** One request the fake received, for assertions on the exact wire body. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or the raw text when it was not JSON. */
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
  /** Forgets recorded requests and queued scenarios. */
  reset(): void;
  /** Stops the server, dropping open connections and pending slow answers. */
  close(): Promise<void>;
}

/** The key the fake accepts by default: shaped like a real one, so redaction is exercised. */
export const FAKE_OPENAI_API_KEY = 'sk-test-fakeopenai-0123456789abcdefABCDEF';

const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

const MODERATION_MODELS = ['omni-moderation-latest', 'omni-moderation-2024-09-26', 'text-moderation-latest'];
const GENERATION_FIELDS = new Set([
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'style',
  'response_format',
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'stream',
  'partial_images',
  'user',
]);
const GPT_ONLY_FIELDS = [
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'stream',
  'partial_images',
];
type ImageFormat = 'png' | 'jpeg' | 'webp';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Output image tokens of a 1024x1024 image per quality (scaled by area for other sizes). */
const IMAGE_TOKENS: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

class HttpFailure {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

function openAIError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type = 'invalid_request_error',
) {
  return new HttpFailure(status, { error: { message, type, param, code } });
}

function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

function maskKey(key: string): string {
  return key.length > 8
    ? `${key.slice(0, 3)}${'*'.repeat(Math.max(4, key.length - 7))}${key.slice(-4)}`
    : '****';
}

/**
 * Starts a fake of OpenAI's Images and Moderations APIs (and Azure's deployment paths) on
 * 127.0.0.1 at a random port. It validates each request against the model catalog the way the
 * reference says the real API does, returns real PNG/JPEG/WebP bytes of the requested size, and can
 * be told to fail in every documented way, so apps can be tested without credits or network.
 */
export async function startFakeOpenAIServer(
  options: FakeOpenAIServerOptions = {},
): Promise<FakeOpenAIServer> {
  const apiKey = options.apiKey ?? FAKE_OPENAI_API_KEY;
  const models = new Map(
    (options.models ?? OPENAI_MODELS).map((input) => {
      const model = modelDescriptorSchema.parse({ ...input, provider: input.provider || 'openai' });
      return [model.id, model] as const;
    }),
  );
  const unavailable = new Set(options.unavailableModels ?? []);
  const azureVersions = new Set(
    options.azure?.apiVersions ?? ['2024-02-01', '2024-10-21', '2025-04-01-preview'],
  );
  const queue: FakeOpenAIScenario[] = [];
  const requests: RecordedRequest[] = [];
  const files = new Map<string, Uint8Array>();
  const renderCache = new Map<string, Uint8Array>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';

  async function render(
    width: number,
    height: number,
    format: 'png' | 'jpeg' | 'webp',
    prompt: string,
    seed: number,
    compression?: number,
  ) {
    const key = `${width}x${height}:${format}:${compression ?? ''}:${seed}:${prompt}`;
    const cached = renderCache.get(key);
    if (cached) return cached;
    // Compression changes nothing in a drawn test image; it stays in the cache key, as upstream.
    const bytes = drawTestImage({ width, height, format, prompt, seed });
    if (renderCache.size >= 64) renderCache.delete(renderCache.keys().next().value!);
    renderCache.set(key, bytes);
    return bytes;
  }

  function wait(ms: number, response: ServerResponse): Promise<boolean> {
    return waitUnlessClosed(ms, response, timers);
  }

  function send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    if (response.destroyed || response.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
  }

  function rateLimitHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit-requests': '50',
      'x-ratelimit-remaining-requests': '49',
      'x-ratelimit-reset-requests': '1.2s',
    };
  }

  /** Answers an error scenario, or returns the scenario for the success path to apply. */
  function scenarioFailure(
    scenario: FakeOpenAIScenario,
    modelId: string | undefined,
  ): HttpFailure | undefined {
    switch (scenario.type) {
      case 'content_policy_violation':
        return openAIError(
          400,
          'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
          null,
          'content_policy_violation',
        );
      case 'moderation_blocked': {
        const categories = scenario.categories ?? ['sexual'];
        return new HttpFailure(400, {
          error: {
            message: `Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID. safety_violations=[${categories.join(', ')}].`,
            type: 'image_generation_user_error',
            param: null,
            code: 'moderation_blocked',
            moderation_details: { moderation_stage: scenario.stage ?? 'input', categories },
          },
        });
      }
      case 'rate_limited': {
        const headers: Record<string, string> = {};
        const retryAfter = scenario.retryAfter === undefined ? '2' : scenario.retryAfter;
        if (retryAfter !== null) headers['retry-after'] = retryAfter;
        if (scenario.retryAfterMs !== undefined) headers['retry-after-ms'] = scenario.retryAfterMs;
        if (scenario.resetRequests !== undefined)
          headers['x-ratelimit-reset-requests'] = scenario.resetRequests;
        if (scenario.resetTokens !== undefined) headers['x-ratelimit-reset-tokens'] = scenario.resetTokens;
        if (scenario.remainingRequests !== undefined)
          headers['x-ratelimit-remaining-requests'] = scenario.remainingRequests;
        if (scenario.remainingTokens !== undefined)
          headers['x-ratelimit-remaining-tokens'] = scenario.remainingTokens;
        if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
        return new HttpFailure(
          429,
          {
            error: {
              message: `Rate limit exceeded for images per minute in organization org-fake. Limit: 5/1min. Current: 6/1min.`,
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          },
          headers,
        );
      }
      case 'insufficient_quota':
        return new HttpFailure(429, {
          error: {
            message: 'You exceeded your current quota, please check your plan and billing details.',
            type: 'insufficient_quota',
            param: null,
            code: 'insufficient_quota',
          },
        });
      case 'unauthorized':
        return openAIError(
          401,
          `Incorrect API key provided: ${maskKey(apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          null,
          'invalid_api_key',
        );
      case 'forbidden':
        return openAIError(
          403,
          `Your organization must be verified to use the model \`${modelId ?? 'gpt-image-1'}\`.`,
          null,
          'organization_must_be_verified',
        );
      case 'model_not_found':
        return openAIError(
          404,
          `The model \`${modelId ?? 'unknown'}\` does not exist or you do not have access to it.`,
          'model',
          'model_not_found',
        );
      case 'server_error': {
        const headers: Record<string, string> = {};
        if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
        if (scenario.retryAfter !== undefined) headers['retry-after'] = scenario.retryAfter;
        return new HttpFailure(
          scenario.status ?? 500,
          {
            error: {
              message: 'The server had an error while processing your request. Sorry about that!',
              type: 'server_error',
              param: null,
              code: null,
            },
          },
          headers,
        );
      }
      case 'error':
        return new HttpFailure(scenario.status, scenario.body, scenario.headers);
      case 'garbage':
        return new HttpFailure(200, '<html><body><h1>502 Bad Gateway</h1></body></html>');
      default:
        return undefined;
    }
  }

  function checkSize(
    size: unknown,
    model: ReturnType<typeof modelDescriptorSchema.parse>,
  ): { width: number; height: number } {
    const fail = () =>
      openAIError(
        400,
        `The size is not supported by this model. Supported sizes: ${model.capabilities.sizes.join(', ')}${model.capabilities.sizeRule ? ', or WIDTHxHEIGHT with both sides multiples of 16, ratio 1:3 to 3:1, at most 3840x2160' : ''}.`,
        'size',
        'invalid_size',
      );
    if (size === undefined || size === 'auto') {
      if (size === 'auto' && !model.capabilities.sizes.includes('auto')) throw fail();
      return { width: 1024, height: 1024 };
    }
    if (typeof size !== 'string') throw fail();
    if (model.capabilities.sizes.includes(size)) return parseSize(size)!;
    const parsed = parseSize(size);
    const rule = model.capabilities.sizeRule;
    if (!parsed || !rule) throw fail();
    const { width, height } = parsed;
    const ratio = width / height;
    const ok =
      width % rule.multipleOf === 0 &&
      height % rule.multipleOf === 0 &&
      Math.min(width, height) >= rule.minSide &&
      Math.max(width, height) <= rule.maxSide &&
      (rule.maxPixels === undefined || width * height <= rule.maxPixels) &&
      (rule.minPixels === undefined || width * height >= rule.minPixels) &&
      (rule.minAspectRatio === undefined || ratio >= rule.minAspectRatio - 1e-9) &&
      (rule.maxAspectRatio === undefined || ratio <= rule.maxAspectRatio + 1e-9);
    if (!ok) throw fail();
    return parsed;
  }

  async function generate(
    body: Record<string, unknown>,
    modelId: string,
    scenario: FakeOpenAIScenario | undefined,
  ): Promise<{ status: number; body: unknown }> {
    const model = models.get(modelId);
    if (!model || unavailable.has(modelId)) {
      throw openAIError(
        404,
        `The model \`${modelId}\` does not exist or you do not have access to it.`,
        'model',
        'model_not_found',
      );
    }
    const family = openAIModelData(model).family;
    const caps = model.capabilities;
    for (const key of Object.keys(body)) {
      if (!GENERATION_FIELDS.has(key))
        throw openAIError(400, `Unknown parameter: '${key}'.`, key, 'unknown_parameter');
    }
    if (typeof body.prompt !== 'string' || body.prompt.length === 0) {
      throw openAIError(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
    }
    const prompt = body.prompt;
    if (prompt.length > caps.maxPromptLength) {
      throw openAIError(
        400,
        `Invalid 'prompt': string too long. Expected a string with maximum length ${caps.maxPromptLength}, but got a string with length ${prompt.length} instead.`,
        'prompt',
        'string_above_max_length',
      );
    }
    const n = body.n ?? 1;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10) {
      throw openAIError(400, `Invalid 'n': expected an integer between 1 and 10.`, 'n', 'invalid_value');
    }
    if (n > caps.maxImagesPerCall) {
      throw openAIError(
        400,
        `You must provide n=${caps.maxImagesPerCall} for this model.`,
        'n',
        'invalid_value',
      );
    }
    const { width, height } = checkSize(body.size, model);
    if (body.quality !== undefined && !caps.qualities.includes(String(body.quality))) {
      throw openAIError(
        400,
        `Invalid 'quality': '${String(body.quality)}'. Supported values for this model: ${caps.qualities.map((q) => `'${q}'`).join(', ')}.`,
        'quality',
        'invalid_value',
      );
    }
    if (body.style !== undefined) {
      if (caps.styles.length === 0) {
        throw openAIError(
          400,
          `The 'style' parameter is not supported for model ${modelId}.`,
          'style',
          'unsupported_parameter',
        );
      }
      if (!caps.styles.includes(String(body.style))) {
        throw openAIError(
          400,
          `Invalid 'style': '${String(body.style)}'. Supported values: ${caps.styles.join(', ')}.`,
          'style',
          'invalid_value',
        );
      }
    }
    if (body.user !== undefined && typeof body.user !== 'string') {
      throw openAIError(400, "Invalid 'user': expected a string.", 'user', 'invalid_type');
    }
    let responseFormat: 'url' | 'b64_json' = family === 'dall-e' ? 'url' : 'b64_json';
    let format = 'png' as ImageFormat;
    let compression: number | undefined;
    if (family === 'gpt-image') {
      if (body.response_format !== undefined && (options.gptImageResponseFormat ?? 'reject') === 'reject') {
        throw openAIError(
          400,
          "Unknown parameter: 'response_format'.",
          'response_format',
          'unknown_parameter',
        );
      }
      if (body.stream === true) {
        throw openAIError(
          400,
          'Streaming is not supported by this fake server.',
          'stream',
          'unsupported_value',
        );
      }
      if (body.output_format !== undefined) {
        if (!caps.outputFormats.includes(body.output_format as 'png')) {
          throw openAIError(
            400,
            `Invalid 'output_format': '${String(body.output_format)}'.`,
            'output_format',
            'invalid_value',
          );
        }
        format = body.output_format as ImageFormat;
      }
      if (body.output_compression !== undefined) {
        const value = body.output_compression;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
          throw openAIError(
            400,
            "Invalid 'output_compression': expected an integer between 0 and 100.",
            'output_compression',
            'invalid_value',
          );
        }
        if (format === 'png') {
          throw openAIError(
            400,
            "'output_compression' is only supported with output_format jpeg or webp.",
            'output_compression',
            'invalid_value',
          );
        }
        compression = value;
      }
      if (body.background !== undefined) {
        if (!caps.backgrounds.includes(body.background as 'auto')) {
          throw openAIError(
            400,
            `Invalid 'background': '${String(body.background)}'.`,
            'background',
            'invalid_value',
          );
        }
        if (body.background === 'transparent' && format === 'jpeg') {
          throw openAIError(
            400,
            'Transparent background requires output_format png or webp.',
            'background',
            'invalid_value',
          );
        }
      }
      if (body.moderation !== undefined && !caps.moderation.includes(body.moderation as 'auto')) {
        throw openAIError(
          400,
          `Invalid 'moderation': '${String(body.moderation)}'.`,
          'moderation',
          'invalid_value',
        );
      }
    } else {
      for (const field of GPT_ONLY_FIELDS) {
        if (body[field] !== undefined) {
          throw openAIError(
            400,
            `The '${field}' parameter is only supported for GPT image models.`,
            field,
            'unsupported_parameter',
          );
        }
      }
      if (body.response_format !== undefined) {
        if (body.response_format !== 'url' && body.response_format !== 'b64_json') {
          throw openAIError(
            400,
            `Invalid 'response_format': '${String(body.response_format)}'. Supported values: 'url', 'b64_json'.`,
            'response_format',
            'invalid_value',
          );
        }
        responseFormat = body.response_format;
      }
    }

    if (scenario?.type === 'url') responseFormat = 'url';
    if (scenario?.type === 'empty')
      return { status: 200, body: { created: Math.floor(Date.now() / 1000), data: [] } };
    const data: Array<Record<string, unknown>> = [];
    const rewrites = openAIModelData(model).rewritesPrompt === true;
    for (let index = 0; index < n; index++) {
      let bytes: Uint8Array;
      if (scenario?.type === 'not_an_image')
        bytes = new TextEncoder().encode('this is not an image, just some text');
      else if (scenario?.type === 'wrong_format') bytes = await render(width, height, 'jpeg', prompt, index);
      else bytes = await render(width, height, format, prompt, index, compression);
      const entry: Record<string, unknown> = {};
      if (responseFormat === 'url') {
        const fileId = randomBytes(12).toString('hex');
        files.set(fileId, bytes);
        entry.url = `${baseUrl}/fake-files/${fileId}.${format === 'jpeg' ? 'jpg' : format}`;
      } else {
        entry.b64_json = Buffer.from(bytes).toString('base64');
      }
      if (rewrites) {
        entry.revised_prompt = prompt.startsWith(DALL_E_3_NO_REWRITE_PREFIX)
          ? prompt.slice(DALL_E_3_NO_REWRITE_PREFIX.length).trim()
          : `${prompt}, rendered in rich detail with balanced composition and soft natural lighting.`;
      }
      data.push(entry);
    }
    const result: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
    if (family === 'gpt-image') {
      const quality = body.quality === undefined || body.quality === 'auto' ? 'medium' : String(body.quality);
      const imageTokens = Math.ceil(((IMAGE_TOKENS[quality] ?? 1056) * width * height) / (1024 * 1024)) * n;
      const textTokens = Math.ceil(prompt.length / 4);
      result.background = body.background === 'transparent' ? 'transparent' : 'opaque';
      result.output_format = format;
      result.size = `${width}x${height}`;
      result.quality = quality;
      result.usage = {
        input_tokens: textTokens,
        input_tokens_details: { text_tokens: textTokens, image_tokens: 0 },
        output_tokens: imageTokens,
        output_tokens_details: { image_tokens: imageTokens, text_tokens: 0 },
        total_tokens: textTokens + imageTokens,
      };
    }
    return { status: 200, body: result };
  }

  function moderate(body: Record<string, unknown>): unknown {
    const model = body.model ?? 'omni-moderation-latest';
    if (typeof model !== 'string' || !MODERATION_MODELS.includes(model)) {
      throw openAIError(
        404,
        `The model \`${String(model)}\` does not exist or you do not have access to it.`,
        'model',
        'model_not_found',
      );
    }
    const inputs =
      typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
    if (!inputs || inputs.some((item) => typeof item !== 'string')) {
      throw openAIError(
        400,
        "Invalid 'input': expected a string or an array of strings.",
        'input',
        'invalid_type',
      );
    }
    const results = (inputs as string[]).map((text) => {
      const lower = text.toLowerCase();
      const categories: Record<string, boolean> = {};
      const scores: Record<string, number> = {};
      for (const category of MODERATION_CATEGORIES) {
        const hit =
          lower.includes(`flag:${category}`) ||
          (options.moderationKeywords?.[category] ?? []).some((word) => lower.includes(word.toLowerCase()));
        categories[category] = hit;
        scores[category] = hit ? 0.93 : 0.0004;
      }
      return {
        flagged: Object.values(categories).some(Boolean),
        categories,
        category_scores: scores,
        category_applied_input_types: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, ['text']])),
      };
    });
    return { id: `modr-${randomBytes(8).toString('hex')}`, model: 'omni-moderation-2024-09-26', results };
  }

  async function readBody(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of request) {
      total += (chunk as Buffer).byteLength;
      if (total > MAX_BODY_BYTES)
        throw openAIError(413, 'Request body too large.', null, 'request_too_large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const commonHeaders: Record<string, string> = {
      'x-request-id': requestId(),
      'openai-version': '2020-10-01',
    };
    let text = '';
    let recorded: RecordedRequest | undefined;
    try {
      text = await readBody(request);
      let parsedBody: unknown = text;
      try {
        parsedBody = text ? JSON.parse(text) : undefined;
      } catch {
        // kept as text
      }
      recorded = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: { ...request.headers },
        body: parsedBody,
      };
      requests.push(recorded);

      const fileMatch = /^\/fake-files\/([a-f0-9]+)\.\w+$/.exec(url.pathname);
      if (request.method === 'GET' && fileMatch) {
        const bytes = files.get(fileMatch[1]!);
        if (!bytes) throw new HttpFailure(404, '<html>not found</html>');
        response.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': bytes.byteLength,
        });
        response.end(bytes);
        return;
      }

      const azureMatch = /^\/openai\/deployments\/([^/]+)\/images\/generations$/.exec(url.pathname);
      const isImages = url.pathname === '/v1/images/generations';
      const isModerations = url.pathname === '/v1/moderations';
      if (request.method !== 'POST' || (!isImages && !isModerations && !azureMatch)) {
        throw openAIError(404, `Invalid URL (${request.method} ${url.pathname})`, null, null);
      }
      const body = parsedBody;
      const bodyObject =
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : undefined;
      let modelId: string | undefined;
      if (azureMatch) {
        const deployment = decodeURIComponent(azureMatch[1]!);
        modelId = options.azure?.deployments[deployment];
      } else if (bodyObject && typeof bodyObject.model === 'string') {
        modelId = bodyObject.model;
      }

      const scenario = queue.shift();
      if (scenario) {
        const failure = scenarioFailure(scenario, modelId);
        if (failure) throw failure;
        if (scenario.type === 'slow') {
          const stillConnected = await wait(scenario.delayMs, response);
          if (!stillConnected) return;
        }
      }

      if (azureMatch) {
        const azure = options.azure;
        const key = request.headers['api-key'];
        const bearer = request.headers.authorization;
        const keyOk = key !== undefined && key === (azure?.apiKey ?? apiKey);
        const tokenOk = azure?.bearerToken !== undefined && bearer === `Bearer ${azure.bearerToken}`;
        if (!azure || (!keyOk && !tokenOk)) {
          throw new HttpFailure(401, {
            error: {
              code: '401',
              message:
                'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
            },
          });
        }
        const version = url.searchParams.get('api-version');
        if (!version) throw new HttpFailure(404, { error: { code: '404', message: 'Resource not found' } });
        if (!azureVersions.has(version)) {
          throw new HttpFailure(400, { error: { code: 'BadRequest', message: 'API version not supported' } });
        }
        if (modelId === undefined) {
          throw new HttpFailure(404, {
            error: {
              code: 'DeploymentNotFound',
              message:
                'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
            },
          });
        }
      } else {
        const auth = request.headers.authorization;
        if (!auth) {
          throw openAIError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            null,
            null,
          );
        }
        if (auth !== `Bearer ${apiKey}`) {
          const given = auth.replace(/^Bearer\s+/i, '');
          throw openAIError(
            401,
            `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            null,
            'invalid_api_key',
          );
        }
      }
      if (!bodyObject) {
        throw openAIError(400, 'We could not parse the JSON body of your request.', null, null);
      }
      if (isModerations) {
        send(response, 200, moderate(bodyObject), commonHeaders);
        return;
      }
      if (modelId === undefined) {
        if (bodyObject.model !== undefined)
          throw openAIError(400, "Invalid 'model': expected a string.", 'model', 'invalid_type');
        modelId = GPT_ONLY_FIELDS.some((field) => bodyObject[field] !== undefined)
          ? 'gpt-image-1.5'
          : 'dall-e-2';
      }
      const azureBody = azureMatch
        ? Object.fromEntries(Object.entries(bodyObject).filter(([k]) => k !== 'model'))
        : bodyObject;
      const result = await generate(azureBody, modelId, scenario);
      const headers: Record<string, string> = {
        ...commonHeaders,
        ...rateLimitHeaders(),
        'openai-processing-ms': '1234',
      };
      if (azureMatch) headers['apim-request-id'] = commonHeaders['x-request-id']!;
      if (scenario?.type === 'truncated') {
        const textBody = JSON.stringify(result.body);
        response.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(textBody),
          ...headers,
        });
        response.write(textBody.slice(0, Math.floor(textBody.length / 2)));
        setImmediate(() => response.destroy());
        return;
      }
      send(response, result.status, result.body, headers);
    } catch (error) {
      if (error instanceof HttpFailure) {
        send(response, error.status, error.body, { ...commonHeaders, ...error.headers });
        return;
      }
      send(
        response,
        500,
        {
          error: {
            message: `fake server failure: ${String(error)}`,
            type: 'server_error',
            param: null,
            code: null,
          },
        },
        commonHeaders,
      );
    }
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    baseURL: `${baseUrl}/v1`,
    requests,
    enqueue(...scenarios) {
      queue.push(...scenarios);
    },
    pendingScenarios: () => queue.length,
    reset() {
      requests.length = 0;
      queue.length = 0;
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

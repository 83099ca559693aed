import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drawTestImage, waitUnlessClosed } from '@pixelgate/core/provider-utils';
import {
  type AspectRatioSizes,
  DEFAULT_ASPECT_RATIO_SIZES,
  type StabilityEndpoint,
} from '../stability-catalog.ts';
import type {
  FakeStabilityRequest,
  FakeStabilityScenario,
  FakeStabilityServerOptions,
  V1EngineSizeRule,
} from './fake-stability-types.ts';
import { SlidingWindowLimiter, STABILITY_RATE_LIMIT } from './sliding-window-limiter.ts';

export const V2BETA_FIELDS: Record<StabilityEndpoint, readonly string[]> = {
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

export const V1_FIELDS = [
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
export const DEFAULT_V1_ENGINES: Record<string, V1EngineSizeRule> = {
  'stable-diffusion-xl-1024-v1-0': 'sdxl',
  'stable-diffusion-xl-1024-v0-9': 'sdxl',
  'stable-diffusion-xl-beta-v2-2-2': 'beta',
  'stable-diffusion-512-v2-1': '512',
  'stable-diffusion-768-v2-1': '768',
  'stable-diffusion-v1-5': '512',
  'stable-diffusion-v1-6': '512',
};

export const V2BETA_MAX_SEED = 4_294_967_294;
export const V1_MAX_SEED = 4_294_967_295;
export const RENDER_CACHE_LIMIT = 32;

/** An error answer: status, Stability's error name, message. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorId(): string {
  return randomBytes(16).toString('hex');
}

/** What every route of the fake shares: its settings and its mutable state. */
export interface FakeStabilityContext {
  options: FakeStabilityServerOptions;
  apiKeys: Set<string>;
  maxRequestBytes: number;
  unknownFields: 'reject' | 'ignore';
  sendRequestId: boolean;
  retired: Set<string>;
  engines: Record<string, V1EngineSizeRule>;
  pixelSizes: Record<StabilityEndpoint, AspectRatioSizes>;
  limiter: SlidingWindowLimiter | undefined;
  scenarios: FakeStabilityScenario[];
  requests: FakeStabilityRequest[];
  waiters: Array<{ count: number; resolve: () => void }>;
  timers: Set<NodeJS.Timeout>;
  renderCache: Map<string, Promise<Uint8Array>>;
  creditsUsed: number;
  seedCounter: number;
}

/** The fake's state for these settings. */
export function createContext(options: FakeStabilityServerOptions): FakeStabilityContext {
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
  return {
    options,
    apiKeys,
    maxRequestBytes,
    unknownFields,
    sendRequestId,
    retired,
    engines,
    pixelSizes,
    limiter,
    scenarios: [],
    requests: [],
    waiters: [],
    timers: new Set(),
    renderCache: new Map(),
    creditsUsed: 0,
    seedCounter: 0,
  };
}

/** A `WIDTHxHEIGHT` size from the tables. */
export function parseWxH(value: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new HttpFailure(500, 'internal_error', `fake server: bad pixel size '${value}'`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function render(
  ctx: FakeStabilityContext,
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp',
  prompt: string,
  seed: number,
) {
  const key = `${width}x${height}/${format}/${seed}/${prompt}`;
  let cached = ctx.renderCache.get(key);
  if (!cached) {
    cached = Promise.resolve(
      drawTestImage({ width, height, format, prompt, seed, noise: ctx.options.noise ?? 0 }),
    );
    if (ctx.renderCache.size >= RENDER_CACHE_LIMIT)
      ctx.renderCache.delete(ctx.renderCache.keys().next().value!);
    ctx.renderCache.set(key, cached);
    cached.catch(() => ctx.renderCache.delete(key));
  }
  return cached;
}

export function randomSeed(ctx: FakeStabilityContext) {
  ctx.seedCounter = (ctx.seedCounter + 1) % 1000;
  return 1 + ((randomBytes(4).readUInt32BE(0) + ctx.seedCounter) % V2BETA_MAX_SEED);
}

export function notifyWaiters(ctx: FakeStabilityContext) {
  for (let i = ctx.waiters.length - 1; i >= 0; i--) {
    const waiter = ctx.waiters[i]!;
    if (ctx.requests.length >= waiter.count) {
      ctx.waiters.splice(i, 1);
      waiter.resolve();
    }
  }
}

export function baseHeaders(ctx: FakeStabilityContext): Record<string, string> {
  return ctx.sendRequestId ? { 'x-request-id': errorId() } : {};
}

export function sendJson(
  ctx: FakeStabilityContext,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...baseHeaders(ctx),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

export function sendError(
  ctx: FakeStabilityContext,
  response: ServerResponse,
  v1: boolean,
  failure: HttpFailure,
  headers: Record<string, string> = {},
): void {
  const body = v1
    ? { id: errorId(), name: failure.errorName, message: failure.message }
    : { id: errorId(), name: failure.errorName, errors: [failure.message] };
  sendJson(ctx, response, failure.status, body, headers);
}

export async function readBody(
  ctx: FakeStabilityContext,
  request: IncomingMessage,
): Promise<Buffer | 'too_large'> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > ctx.maxRequestBytes) return 'too_large';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).byteLength;
    if (total > ctx.maxRequestBytes) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function authorized(ctx: FakeStabilityContext, request: IncomingMessage): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  return match !== null && ctx.apiKeys.has(match[1]!);
}

export function checkWords(ctx: FakeStabilityContext, prompt: string): 'moderated' | 'filtered' | undefined {
  const lower = prompt.toLowerCase();
  if (ctx.options.moderatedWords?.some((word) => lower.includes(word.toLowerCase()))) return 'moderated';
  if (ctx.options.filteredWords?.some((word) => lower.includes(word.toLowerCase()))) return 'filtered';
  return undefined;
}

export function charge(ctx: FakeStabilityContext, credits: number): void {
  if (ctx.options.credits !== undefined && ctx.creditsUsed + credits > ctx.options.credits) {
    throw new HttpFailure(402, 'payment_required', 'You lack sufficient credits to make this request.');
  }
}

/**
 * Sends a success answer, shaped by the output scenario (slow, truncated, garbage). Credits are
 * charged only when a complete, good answer went out.
 */
export async function deliver(
  ctx: FakeStabilityContext,
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
    const stillThere = await waitUnlessClosed(delayMs, response, ctx.timers);
    if (!stillThere) return;
  }
  if (type === 'garbage') {
    // Claims the expected type but is not: bytes that are neither an image nor JSON.
    const junk = Buffer.from('\u0000not-an-image-and-not-json{{{', 'utf8');
    response.writeHead(200, { ...baseHeaders(ctx), ...headers, 'content-length': String(junk.byteLength) });
    response.end(junk);
    return;
  }
  response.writeHead(200, { ...baseHeaders(ctx), ...headers, 'content-length': String(payload.byteLength) });
  if (type === 'truncated') {
    // Announce the full length, send half, then drop the connection.
    response.write(payload.subarray(0, Math.max(1, Math.floor(payload.byteLength / 2))), () => {
      response.socket?.destroy();
    });
    return;
  }
  response.once('finish', () => {
    ctx.creditsUsed += credits;
  });
  response.end(payload);
}

import { type KeyObject, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drawTestImage } from '@pixelgate/core/provider-utils';
import { googleImageModels } from '../imagen-catalog.ts';
import type {
  FakeImagenBehaviour,
  FakeImagenModel,
  FakeImagenRequest,
  FakeImagenScenario,
  FakeImagenServerOptions,
} from './fake-imagen-types.ts';

export const ERROR_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const PERSON_GENERATION = ['dont_allow', 'allow_adult', 'allow_all'];
export const SAFETY_SETTINGS = [
  'block_low_and_above',
  'block_medium_and_above',
  'block_only_high',
  'block_none',
  'block_most',
  'block_some',
  'block_few',
  'block_fewest',
];
export const LANGUAGES = ['auto', 'en', 'ja', 'ko', 'hi', 'zh', 'zh-cn', 'zh-tw', 'pt', 'es'];
export const GEMINI_IMAGE_TOKENS: Record<string, number> = {
  'gemini-2.5-flash-image': 1290,
  'gemini-3-pro-image': 1120,
  'gemini-3-pro-image-preview': 1120,
  'gemini-3.1-flash-image': 1120,
  'gemini-3.1-flash-image-preview': 1120,
};

/** Input tokens per input image (reference 4.4: 560 for 3 Pro Image, 1120 for 3.1 Flash Image). */
export const GEMINI_INPUT_IMAGE_TOKENS: Record<string, number> = {
  'gemini-3-pro-image': 560,
  'gemini-3-pro-image-preview': 560,
  'gemini-3.1-flash-image': 1120,
  'gemini-3.1-flash-image-preview': 1120,
};

/** The package catalog of both APIs, as the fake's model table. */
export function defaultFakeImagenModels(): FakeImagenModel[] {
  const table = new Map<string, FakeImagenModel>();
  // Gemini image models encode the same way on both routes; the Gemini API catalog names the encoding.
  const nativeFormat = new Map(
    googleImageModels('gemini').map((model) => [model.id, model.capabilities.outputFormats?.[0]]),
  );
  for (const api of ['vertex', 'gemini'] as const) {
    for (const model of googleImageModels(api)) {
      const existing = table.get(model.id);
      if (existing) {
        existing.apis.push(api);
        continue;
      }
      const data = model.providerData as {
        family: 'imagen' | 'gemini';
        sizeTiers?: Record<string, Record<string, string>>;
        baseTier?: string;
        vertexLocation?: string;
      };
      const native = data.family === 'gemini' ? (nativeFormat.get(model.id) ?? 'png') : 'png';
      table.set(model.id, {
        id: model.id,
        family: data.family,
        apis: [api],
        aspectRatios: { ...(model.capabilities.aspectRatios ?? {}) },
        sizeTiers: data.sizeTiers ?? {},
        ...(data.baseTier ? { baseTier: data.baseTier } : {}),
        mimeType: native === 'jpeg' ? 'image/jpeg' : 'image/png',
        maxSampleCount: data.family === 'imagen' ? 4 : 1,
        ...(data.vertexLocation ? { vertexLocations: [data.vertexLocation] } : {}),
        shutDown: model.lifecycle?.status === 'retired',
        imageTokens: GEMINI_IMAGE_TOKENS[model.id] ?? 1120,
        maxInputImages: model.capabilities.edit?.maxImages ?? 0,
        inputImageTokens: GEMINI_INPUT_IMAGE_TOKENS[model.id] ?? 258,
        editing: (data as { editOnly?: boolean }).editOnly === true,
      });
    }
  }
  return [...table.values()];
}

export function base64url(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function rpcError(
  code: number,
  message: string,
  details: unknown[] = [],
): { status: number; body: unknown } {
  return {
    status: code,
    body: { error: { code, message, status: ERROR_STATUS[code] ?? 'UNKNOWN', details } },
  };
}

/** An error answer in Google's RPC shape. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('fake failure');
  }
}

export function fail(code: number, message: string, details: unknown[] = []): never {
  const { status, body } = rpcError(code, message, details);
  throw new HttpFailure(status, body);
}

/** What every route of the fake shares: its settings and its mutable state. */
export interface FakeImagenContext {
  options: FakeImagenServerOptions;
  apiKey: string;
  apiKeys: Set<string>;
  /** Access token -> expiry (ms since the epoch). */
  accessTokens: Map<string, number>;
  serviceAccounts: Map<string, KeyObject>;
  models: Map<string, FakeImagenModel>;
  behaviour: FakeImagenBehaviour;
  slowMs: number;
  scale: number;
  tokenLifetime: number;
  tokensIssued: number;
  tokenFailures: number[];
  scenarios: FakeImagenScenario[];
  requests: FakeImagenRequest[];
  timers: Set<NodeJS.Timeout>;
  url: string;
  responseCounter: number;
}

/** The fake's state for these settings. */
export function createContext(options: FakeImagenServerOptions): FakeImagenContext {
  const apiKey = options.apiKeys?.[0] ?? `AIzaFake${randomBytes(16).toString('hex')}`;
  const apiKeys = new Set(options.apiKeys ?? [apiKey]);
  const accessTokens = new Map<string, number>();
  for (const token of options.staticAccessTokens ?? []) accessTokens.set(token, Number.POSITIVE_INFINITY);
  const serviceAccounts = new Map<string, KeyObject>();
  const models = new Map((options.models ?? defaultFakeImagenModels()).map((model) => [model.id, model]));
  const behaviour: FakeImagenBehaviour = {
    imagenOnGeminiApi: 'reject',
    seedWithWatermark: 'reject',
    unsupportedImageSize: 'reject',
    vertexOnlyImageConfig: 'reject',
    geminiDefaultAspectRatio: '1:1',
    ...options.behaviour,
  };
  const slowMs = options.slowMs ?? 5000;
  const scale = options.renderScale ?? 1;
  const tokenLifetime = options.tokenLifetimeSeconds ?? 3600;
  return {
    options,
    apiKey,
    apiKeys,
    accessTokens,
    serviceAccounts,
    models,
    behaviour,
    slowMs,
    scale,
    tokenLifetime,
    tokensIssued: 0,
    tokenFailures: [],
    scenarios: [],
    requests: [],
    timers: new Set(),
    url: '',
    responseCounter: 0,
  };
}

export async function render(
  ctx: FakeImagenContext,
  size: string,
  mimeType: string,
  prompt: string,
  seed: number,
  compressionQuality?: number,
) {
  const [w, h] = size.split('x').map(Number) as [number, number];
  // compressionQuality is checked on the way in; a drawn test image looks the same at any quality.
  void compressionQuality;
  const bytes = drawTestImage({
    width: Math.max(1, Math.round(w * ctx.scale)),
    height: Math.max(1, Math.round(h * ctx.scale)),
    format: mimeType === 'image/jpeg' ? 'jpeg' : 'png',
    prompt,
    seed,
  });
  return Buffer.from(bytes).toString('base64');
}

export function nextScenario(ctx: FakeImagenContext): FakeImagenScenario {
  return ctx.scenarios.shift() ?? 'success';
}

export function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function wait(ctx: FakeImagenContext, ms: number, req: IncomingMessage) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    ctx.timers.add(timer);
    function done() {
      clearTimeout(timer);
      ctx.timers.delete(timer);
      req.socket.off('close', done);
      resolve();
    }
    req.socket.once('close', done);
  });
}

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drawTestImage } from '@pixelgate/core/provider-utils';
import type { ModelDescriptor } from '@pixelgate/core/spec';
import type { FakeOpenAIScenario, FakeOpenAIServerOptions, RecordedRequest } from './fake-openai-types.ts';

/** What every route of the fake shares: its settings, its catalog and its mutable state. */
export interface FakeOpenAIContext {
  options: FakeOpenAIServerOptions;
  apiKey: string;
  models: Map<string, ModelDescriptor>;
  unavailable: Set<string>;
  azureVersions: Set<string>;
  queue: FakeOpenAIScenario[];
  requests: RecordedRequest[];
  /** Images answered as URLs, served under `/fake-files/`. */
  files: Map<string, Uint8Array>;
  renderCache: Map<string, Uint8Array>;
  timers: Set<NodeJS.Timeout>;
  baseUrl: string;
  /** Event streams currently open (a client abort must bring this back down). */
  openStreams: number;
}

export const MODERATION_CATEGORIES = [
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

export const MODERATION_MODELS = [
  'omni-moderation-latest',
  'omni-moderation-2024-09-26',
  'text-moderation-latest',
];
export const GENERATION_FIELDS = new Set([
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
export const GPT_ONLY_FIELDS = [
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'stream',
  'partial_images',
];
export type ImageFormat = 'png' | 'jpeg' | 'webp';
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Output image tokens of a 1024x1024 image per quality (scaled by area for other sizes). */
export const IMAGE_TOKENS: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

/** An answer the fake gives instead of the normal one (an error status, a garbage body). */
export class HttpFailure {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function openAIError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type = 'invalid_request_error',
) {
  return new HttpFailure(status, { error: { message, type, param, code } });
}

export function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

export function maskKey(key: string): string {
  return key.length > 8
    ? `${key.slice(0, 3)}${'*'.repeat(Math.max(4, key.length - 7))}${key.slice(-4)}`
    : '****';
}

export function send(
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

/** The rate-limit headers OpenAI sends with every success. */
export function rateLimitHeaders(): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': '50',
    'x-ratelimit-remaining-requests': '49',
    'x-ratelimit-reset-requests': '1.2s',
  };
}

/** Reads a request body, refusing one over 10 MiB as OpenAI does (413). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).byteLength;
    if (total > MAX_BODY_BYTES) throw openAIError(413, 'Request body too large.', null, 'request_too_large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Draws (or reuses) a test image; compression changes nothing in a drawn image but stays in the key. */
export async function render(
  context: FakeOpenAIContext,
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp',
  prompt: string,
  seed: number,
  compression?: number,
) {
  const key = `${width}x${height}:${format}:${compression ?? ''}:${seed}:${prompt}`;
  const cached = context.renderCache.get(key);
  if (cached) return cached;
  // Compression changes nothing in a drawn test image; it stays in the cache key, as upstream.
  const bytes = drawTestImage({ width, height, format, prompt, seed });
  if (context.renderCache.size >= 64) context.renderCache.delete(context.renderCache.keys().next().value!);
  context.renderCache.set(key, bytes);
  return bytes;
}

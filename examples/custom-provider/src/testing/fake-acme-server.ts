import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawTestImage } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import { ACME_MODELS } from '../acme-catalog.ts';

/**
 * What the next call answers with, instead of a normal success. Each behaves the way Acme's API
 * documentation (README) says the real service does, so the plugin's error mapping is tested
 * against realistic bodies and headers.
 */
export type FakeAcmeScenario =
  | 'success'
  | 'unauthorized'
  | 'rate_limited'
  | 'server_error'
  | 'malformed'
  | 'content_filtered'
  | 'partially_blocked'
  | 'slow';

/** Settings of {@link startFakeAcmeServer}. */
export interface FakeAcmeServerOptions {
  /** The key the fake accepts (default `acme-test-key-0123456789`). */
  apiKey?: string;
  /** How long `slow` waits before answering, unless the client disconnects (default 5000 ms). */
  slowMs?: number;
}

/** One request the fake received. */
export interface FakeAcmeRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A running fake acme-images server. */
export interface FakeAcmeServer {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  apiKey: string;
  /** The next call answers with this scenario, then back to success. */
  scenario(name: FakeAcmeScenario): void;
  /** Every request received so far. */
  requests: FakeAcmeRequest[];
  close(): Promise<void>;
}

const requestSchema = z.strictObject({
  model: z.string(),
  prompt: z.string().min(1).max(2000),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  count: z.number().int().min(1).max(4),
  seed: z.number().int().min(0).max(2_147_483_647).optional(),
  format: z.enum(['png', 'jpeg', 'webp']).default('png'),
  negative: z.string().max(500).optional(),
  stylize: z.number().int().min(0).max(100).optional(),
});

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

const fail = (
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
) => send(response, status, { error: { code, message } }, headers);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A local acme-images server on 127.0.0.1 (random port) that validates requests like the real API,
 * checks the bearer key, and answers with real images of the requested pixel size and format
 * (drawn by core's dependency-free `drawTestImage`). Tests and the example app run against it offline.
 */
export async function startFakeAcmeServer(options: FakeAcmeServerOptions = {}): Promise<FakeAcmeServer> {
  const apiKey = options.apiKey ?? 'acme-test-key-0123456789';
  const slowMs = options.slowMs ?? 5000;
  const queue: FakeAcmeScenario[] = [];
  const requests: FakeAcmeRequest[] = [];
  const sockets = new Set<Socket>();
  const models = new Map(ACME_MODELS.map((model) => [model.id, model]));

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const text = await readBody(request);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Recorded as text; rejected below.
    }
    requests.push({ url: request.url ?? '', headers: { ...request.headers }, body });
    const requestId = `acme_${randomUUID()}`;
    const headers = { 'x-acme-request-id': requestId };
    if (request.method !== 'POST' || request.url !== '/v1/generate')
      return fail(response, 404, 'not_found', 'No such route.', headers);
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return fail(response, 401, 'invalid_api_key', 'The API key is missing or invalid.', headers);
    }
    const scenario = queue.shift() ?? 'success';
    switch (scenario) {
      case 'unauthorized':
        return fail(response, 401, 'invalid_api_key', 'The API key is missing or invalid.', headers);
      case 'rate_limited':
        return fail(response, 429, 'rate_limited', 'Too many requests; slow down.', {
          ...headers,
          'retry-after': '1',
        });
      case 'server_error':
        return fail(response, 503, 'overloaded', 'Acme is overloaded; try again shortly.', headers);
      case 'content_filtered':
        return fail(
          response,
          422,
          'content_policy',
          'The prompt was refused by the content policy.',
          headers,
        );
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096', ...headers });
        // Headers and half a body reach the client, then the connection drops: a truncated answer.
        response.write('{"id":"gen_1","images":[{"b64":"iVBORw0KGgo', () =>
          setImmediate(() => response.socket?.destroy()),
        );
        return;
      case 'slow': {
        const closed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), slowMs);
          response.on('close', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (closed) return;
        break;
      }
      default:
        break;
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        response,
        400,
        'invalid_request',
        `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
        headers,
      );
    }
    const call = parsed.data;
    const model = models.get(call.model);
    if (!model) return fail(response, 404, 'unknown_model', `Unknown model ${call.model}.`, headers);
    const sizes = model.capabilities.sizes ?? [];
    if (!sizes.includes(`${call.width}x${call.height}`)) {
      return fail(
        response,
        400,
        'invalid_request',
        `${call.model} does not make ${call.width}x${call.height} images.`,
        headers,
      );
    }
    if (call.count > model.capabilities.maxImagesPerCall) {
      return fail(
        response,
        400,
        'invalid_request',
        `${call.model} makes at most ${model.capabilities.maxImagesPerCall} images per call.`,
        headers,
      );
    }
    const blocked = scenario === 'partially_blocked' ? 1 : 0;
    const baseSeed = call.seed ?? 42;
    const images = [];
    for (let index = 0; index < call.count - blocked; index++) {
      const seed = baseSeed + index;
      const bytes = drawTestImage({
        width: call.width,
        height: call.height,
        format: call.format,
        prompt: call.prompt,
        seed,
      });
      images.push({ b64: Buffer.from(bytes).toString('base64'), content_type: `image/${call.format}`, seed });
    }
    send(response, 200, { id: `gen_${randomUUID()}`, images, blocked }, headers);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) fail(response, 500, 'internal', 'Internal error.');
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    scenario(name) {
      queue.push(name);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

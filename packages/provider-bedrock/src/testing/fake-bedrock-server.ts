/**
 * A fake Amazon Bedrock Runtime: a real HTTP server on 127.0.0.1 that answers
 * `POST /model/{modelId}/invoke` the way Bedrock does. It checks SigV4 as AWS would (the
 * Authorization header's shape and scope, x-amz-date, x-amz-content-sha256 against the body, and
 * the signature itself when it knows the secret), validates the body per model family, answers
 * with real images in base64, and renders errors in the restJson1 shape the SDK parses
 * (`x-amzn-errortype` and `{ message }`). Point the SDK at it with `endpoint` and static
 * credentials. Scenarios make the next call fail the ways Bedrock does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitUnlessClosed } from '@pixelgate/core/provider-utils';
import { answerFor, checkRequest, fakeBedrockModels } from './fake-bedrock-models.ts';
import { checkSigV4 } from './fake-bedrock-sigv4.ts';

/** The static credentials the fake accepts by default. */
export const FAKE_BEDROCK_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIAFAKEBEDROCK00001',
  secretAccessKey: 'fake-bedrock-secret-key-do-not-use-0000000',
});

/** What the next invocation should meet; used up by the call that takes it. */
export type FakeBedrockScenario =
  | 'success'
  /** 403 UnrecognizedClientException. */
  | 'unauthorized'
  /** 403 AccessDeniedException (no model access in this region). */
  | 'access_denied'
  /** 429 ThrottlingException. */
  | 'rate_limited'
  /** 429 ModelNotReadyException. */
  | 'model_not_ready'
  /** 400 ServiceQuotaExceededException. */
  | 'quota_exceeded'
  /** 500 InternalServerException. */
  | 'server_error'
  /** 408 ModelTimeoutException. */
  | 'model_timeout'
  /** 400 ValidationException: blocked by the content filters. */
  | 'content_filtered'
  /** 200 with the first image filtered (Stability finish reason; Titan/Nova withheld with `error`). */
  | 'partially_filtered'
  /** 200 with a cut JSON body. */
  | 'malformed'
  | { type: 'slow'; delayMs?: number }
  | 'slow';

/** Options of {@link startFakeBedrockServer}. */
export interface FakeBedrockServerOptions {
  /** Accepted credentials (default {@link FAKE_BEDROCK_CREDENTIALS}); the signature is verified with the secret. */
  credentials?: { accessKeyId: string; secretAccessKey?: string };
  /** The region requests must be scoped to (default `us-east-1`). */
  region?: string;
  /** Model ids that answer AccessDeniedException (model access not granted). */
  deniedModels?: string[];
  /** Processing time per call (default 30 ms). */
  latencyMs?: number;
}

/** One request as the fake received it. */
export interface FakeBedrockRequest {
  method: string;
  url: string;
  /** The model id from the path (decoded). */
  modelId?: string;
  headers: Record<string, string | undefined>;
  body?: Record<string, unknown>;
  status?: number;
  /** The AWS error name answered, if any. */
  errorType?: string;
}

/** A running fake. */
export interface FakeBedrockServer {
  /** Endpoint URL for the SDK's `endpoint` setting. */
  readonly url: string;
  readonly region: string;
  readonly requests: FakeBedrockRequest[];
  enqueue(...scenarios: FakeBedrockScenario[]): void;
  close(): Promise<void>;
}

interface State {
  options: {
    credentials: { accessKeyId: string; secretAccessKey?: string };
    region: string;
    deniedModels: string[];
    latencyMs: number;
  };
  queue: FakeBedrockScenario[];
  requests: FakeBedrockRequest[];
  timers: Set<ReturnType<typeof setTimeout>>;
  models: ReturnType<typeof fakeBedrockModels>;
}

const ERRORS: Record<string, { status: number; name: string; message: string }> = {
  unauthorized: {
    status: 403,
    name: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  },
  access_denied: {
    status: 403,
    name: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
  },
  rate_limited: {
    status: 429,
    name: 'ThrottlingException',
    message: 'Too many requests, please wait before trying again.',
  },
  model_not_ready: {
    status: 429,
    name: 'ModelNotReadyException',
    message: 'Model is not ready for inference. Wait and try your request again.',
  },
  quota_exceeded: {
    status: 400,
    name: 'ServiceQuotaExceededException',
    message: 'Your request exceeds the service quota for your account.',
  },
  server_error: {
    status: 500,
    name: 'InternalServerException',
    message: 'The server encountered an internal error.',
  },
  model_timeout: {
    status: 408,
    name: 'ModelTimeoutException',
    message: 'The request took too long to process.',
  },
  content_filtered: {
    status: 400,
    name: 'ValidationException',
    message: 'This request has been blocked by our content filters.',
  },
};

function answer(
  response: ServerResponse,
  entry: FakeBedrockRequest,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  entry.status = status;
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(body);
}

function awsError(
  response: ServerResponse,
  entry: FakeBedrockRequest,
  status: number,
  name: string,
  message: string,
): void {
  entry.errorType = name;
  answer(response, entry, status, JSON.stringify({ message }), {
    'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  });
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function invoke(
  state: State,
  response: ServerResponse,
  entry: FakeBedrockRequest,
  raw: Buffer,
): Promise<void> {
  const model = state.models.get(entry.modelId ?? '');
  if (!model)
    return awsError(response, entry, 400, 'ValidationException', 'The provided model identifier is invalid.');
  if (state.options.deniedModels.includes(model.id)) {
    const denied = ERRORS.access_denied!;
    return awsError(response, entry, denied.status, denied.name, denied.message);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    entry.body = body;
  } catch {
    return awsError(
      response,
      entry,
      400,
      'ValidationException',
      'Malformed input request, please reformat your input and try again.',
    );
  }
  const scenario = state.queue.shift() ?? 'success';
  const name = typeof scenario === 'string' ? scenario : scenario.type;
  const error = ERRORS[name];
  if (error) return awsError(response, entry, error.status, error.name, error.message);
  const checked = checkRequest(model, body);
  if ('error' in checked)
    return awsError(
      response,
      entry,
      400,
      'ValidationException',
      `Malformed input request: ${checked.error}, please reformat your input and try again.`,
    );
  const delay =
    state.options.latencyMs +
    (name === 'slow' ? (typeof scenario === 'object' ? (scenario.delayMs ?? 5_000) : 5_000) : 0);
  if (!(await waitUnlessClosed(delay, response, state.timers))) return;
  if (name === 'malformed') return answer(response, entry, 200, '{"images": ["iVBO');
  answer(
    response,
    entry,
    200,
    JSON.stringify(answerFor(model, checked, name === 'partially_filtered' ? 1 : 0)),
  );
}

async function route(state: State, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const entry: FakeBedrockRequest = {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(', ') : value,
      ]),
    ),
  };
  state.requests.push(entry);
  const raw = await readBody(request);
  const match = /^\/model\/([^/]+)\/invoke$/.exec(entry.url);
  if (request.method !== 'POST' || !match)
    return awsError(response, entry, 404, 'UnknownOperationException', 'Unknown operation');
  entry.modelId = decodeURIComponent(match[1]!);
  const failure = checkSigV4(request, raw, {
    ...state.options.credentials,
    region: state.options.region,
    service: 'bedrock',
  });
  if (failure) return awsError(response, entry, failure.status, failure.name, failure.message);
  await invoke(state, response, entry, raw);
}

/** Starts the fake on 127.0.0.1 (port 0). Close it after the test. */
export async function startFakeBedrockServer(
  options: FakeBedrockServerOptions = {},
): Promise<FakeBedrockServer> {
  const state: State = {
    options: {
      credentials: options.credentials ?? FAKE_BEDROCK_CREDENTIALS,
      region: options.region ?? 'us-east-1',
      deniedModels: options.deniedModels ?? [],
      latencyMs: options.latencyMs ?? 30,
    },
    queue: [],
    requests: [],
    timers: new Set(),
    models: fakeBedrockModels(),
  };
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    route(state, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: state.options.region,
    requests: state.requests,
    enqueue: (...scenarios) => state.queue.push(...scenarios),
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A fake fal API: three real HTTP servers on 127.0.0.1 standing in for `queue.fal.run` (submit,
 * status, result, cancel, with the IN_QUEUE → IN_PROGRESS → COMPLETED state machine on short,
 * configurable timing), `fal.run` (the synchronous endpoint) and fal's media CDN (expiring image
 * URLs on another host). Scenarios make the next submit fail the ways the real API does.
 * UNCONFIRMED behaviour (429 headers, where content-policy refusals surface) is configurable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawTestImage, waitUnlessClosed } from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  checkInput,
  type FakeFalModel,
  type FakeFalRequestState,
  fakeFalModels,
  newRequestId,
  outputOf,
  queueStatus,
} from './fake-fal-requests.ts';

/** What the next submit (queue or sync) should meet; used up by the submit that takes it. */
export type FakeFalScenario =
  | 'success'
  | 'unauthorized'
  | 'server_error'
  /** The submit answer (queue) or the output (sync) is cut JSON. */
  | 'malformed'
  /** Every image comes back flagged in `has_nsfw_concepts`. */
  | 'content_filtered'
  /** The result answers 422 with a `content_policy_violation` detail. */
  | 'content_policy'
  /** The result answers 500 (the run failed). */
  | 'result_error'
  | 'foreign_status_host'
  | 'foreign_result_host'
  | 'expired_result'
  /** The status answers with a status nobody documented. */
  | 'unknown_status'
  | 'rate_limited'
  | { type: 'rate_limited'; retryAfterSeconds?: number }
  /** These images (by index) are flagged in `has_nsfw_concepts`. */
  | { type: 'nsfw'; flagged: number[] }
  /** The first `count` status polls answer 429. */
  | { type: 'poll_rate_limited'; count?: number }
  /** The request stays IN_QUEUE (or the sync answer waits) this long (default 5000 ms). */
  | { type: 'slow'; delayMs?: number }
  | 'slow';

/** Options of {@link startFakeFalServer}. */
export interface FakeFalServerOptions {
  /** Accepted keys (default `['fal-test-key']`). */
  apiKeys?: string[];
  /** Time a request waits IN_QUEUE (default 40 ms). */
  queueMs?: number;
  /** Time a request runs IN_PROGRESS, and the synchronous endpoint takes (default 80 ms). */
  processingMs?: number;
  /** How long an image URL works (default 1 hour, UNCONFIRMED). */
  resultTtlMs?: number;
  /** Extra models (same providerData shape as the plugin's catalog). */
  models?: ModelDescriptorInput[];
  /** The CDN waits this long before answering (default 0). */
  resultDelayMs?: number;
}

/** One request any of the three servers received. */
export interface FakeFalRequest {
  server: 'queue' | 'sync' | 'cdn';
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body?: Record<string, unknown>;
  status?: number;
}

/** A running fake. */
export interface FakeFalServer {
  /** Base URL standing in for `https://queue.fal.run`. */
  readonly queueUrl: string;
  /** Base URL standing in for `https://fal.run`. */
  readonly syncUrl: string;
  /** The CDN's base URL. */
  readonly cdnUrl: string;
  /** The CDN's `host:port`, to put in `resultHosts`. */
  readonly cdnHost: string;
  readonly requests: FakeFalRequest[];
  /** Every request accepted (queue and sync), by id. */
  readonly runs: ReadonlyMap<string, FakeFalRequestState>;
  enqueue(...scenarios: FakeFalScenario[]): void;
  close(): Promise<void>;
}

interface State {
  options: Required<Omit<FakeFalServerOptions, 'models'>>;
  models: Map<string, FakeFalModel>;
  queue: FakeFalScenario[];
  runs: Map<string, FakeFalRequestState>;
  requests: FakeFalRequest[];
  timers: Set<ReturnType<typeof setTimeout>>;
  queueUrl: string;
  cdnUrl: string;
}

const nameOf = (scenario: FakeFalScenario) => (typeof scenario === 'string' ? scenario : scenario.type);

function send(
  response: ServerResponse,
  entry: FakeFalRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  entry.status = status;
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function authorized(state: State, request: IncomingMessage): boolean {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Key ') && state.options.apiKeys.includes(header.slice(4));
}

/** Answers a submit that fails at once; true when it answered. */
function failAtOnce(scenario: FakeFalScenario, response: ServerResponse, entry: FakeFalRequest): boolean {
  const name = nameOf(scenario);
  if (name === 'unauthorized')
    send(response, entry, 401, { detail: 'Invalid Key Authorization header format or key not found' });
  else if (name === 'server_error') send(response, entry, 500, { detail: 'Internal Server Error' });
  else if (name === 'rate_limited') {
    const seconds =
      typeof scenario === 'object' && scenario.type === 'rate_limited'
        ? (scenario.retryAfterSeconds ?? 1)
        : 1;
    send(
      response,
      entry,
      429,
      { detail: 'Too many concurrent requests' },
      { 'retry-after': String(seconds) },
    );
  } else return false;
  return true;
}

function accept(
  state: State,
  scenario: FakeFalScenario,
  endpoint: string,
  input: Record<string, unknown>,
  drawn: { width: number; height: number; format: 'png' | 'jpeg'; count: number },
): FakeFalRequestState {
  const name = nameOf(scenario);
  const slow =
    name === 'slow'
      ? typeof scenario === 'object' && scenario.type === 'slow'
        ? (scenario.delayMs ?? 5_000)
        : 5_000
      : 0;
  const now = Date.now();
  const flaggedIndexes = typeof scenario === 'object' && scenario.type === 'nsfw' ? scenario.flagged : [];
  const run: FakeFalRequestState = {
    id: newRequestId(),
    model: endpoint,
    input,
    ...drawn,
    seed: typeof input.seed === 'number' ? input.seed : Math.floor(Math.random() * 2 ** 31),
    submittedAt: now,
    startsAt: now + state.options.queueMs + slow,
    completesAt: now + state.options.queueMs + slow + state.options.processingMs,
    outcome: name === 'result_error' ? 'result_error' : name === 'content_policy' ? 'content_policy' : 'ok',
    nsfw: Array.from(
      { length: drawn.count },
      (_, index) => name === 'content_filtered' || flaggedIndexes.includes(index),
    ),
    cancelled: false,
    polls: 0,
    pollRateLimits:
      typeof scenario === 'object' && scenario.type === 'poll_rate_limited' ? (scenario.count ?? 1) : 0,
    unknownStatus: name === 'unknown_status',
    foreignResultHost: name === 'foreign_result_host',
    resultExpired: name === 'expired_result',
  };
  state.runs.set(run.id, run);
  return run;
}

/** Reads, authenticates and validates a submit; answers and returns undefined when it failed. */
async function admit(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  entry: FakeFalRequest,
) {
  const text = await readBody(request);
  if (!authorized(state, request))
    return void send(response, entry, 401, {
      detail: 'Invalid Key Authorization header format or key not found',
    });
  const endpoint = (request.url ?? '/').split('?')[0]!.slice(1);
  const model = state.models.get(endpoint);
  if (!model) return void send(response, entry, 404, { detail: `Application '${endpoint}' not found` });
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(text) as Record<string, unknown>;
    entry.body = input;
  } catch {
    return void send(response, entry, 422, {
      detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }],
    });
  }
  const scenario = state.queue.shift() ?? 'success';
  if (failAtOnce(scenario, response, entry)) return undefined;
  const checked = checkInput(input, model);
  if ('problem' in checked) return void send(response, entry, 422, { detail: [checked.problem] });
  return { run: accept(state, scenario, endpoint, input, checked), scenario };
}

/** The URLs of a queued request, on the app root (`owner/app`) as fal builds them. */
function urlsOf(state: State, run: FakeFalRequestState, foreign: boolean) {
  const root = run.model.split('/').slice(0, 2).join('/');
  const base = `${foreign ? 'https://queue.example.com' : state.queueUrl}/${root}/requests/${run.id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

async function handleSubmit(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  entry: FakeFalRequest,
): Promise<void> {
  const admitted = await admit(state, request, response, entry);
  if (!admitted) return;
  if (nameOf(admitted.scenario) === 'malformed') return send(response, entry, 200, '{"request_id": "cu');
  const ahead = [...state.runs.values()].filter(
    (other) => other !== admitted.run && queueStatus(other, Date.now()) === 'IN_QUEUE',
  ).length;
  send(response, entry, 200, {
    request_id: admitted.run.id,
    ...urlsOf(state, admitted.run, nameOf(admitted.scenario) === 'foreign_status_host'),
    queue_position: ahead,
  });
}

async function resultAnswer(
  state: State,
  run: FakeFalRequestState,
  response: ServerResponse,
  entry: FakeFalRequest,
): Promise<void> {
  if (run.outcome === 'result_error') return send(response, entry, 500, { detail: 'Model inference failed' });
  if (run.outcome === 'content_policy') {
    return send(response, entry, 422, {
      detail: [
        {
          loc: ['body', 'prompt'],
          msg: 'The content could not be processed because it contained material flagged by a content checker.',
          type: 'content_policy_violation',
        },
      ],
    });
  }
  send(response, entry, 200, outputOf(run, state.cdnUrl));
}

async function handleQueueGet(
  state: State,
  response: ServerResponse,
  entry: FakeFalRequest,
  run: FakeFalRequestState,
  isStatus: boolean,
): Promise<void> {
  const status = run.cancelled ? 'CANCELLED' : queueStatus(run, Date.now());
  if (!isStatus) {
    if (status !== 'COMPLETED') return send(response, entry, 400, { detail: 'Request is still in progress' });
    return await resultAnswer(state, run, response, entry);
  }
  run.polls += 1;
  if (run.pollRateLimits > 0) {
    run.pollRateLimits -= 1;
    return send(response, entry, 429, { detail: 'Too many requests' }, { 'retry-after': '0' });
  }
  if (run.unknownStatus) return send(response, entry, 200, { status: 'SOMETHING_NEW' });
  const body: Record<string, unknown> = { status, request_id: run.id };
  if (status === 'IN_QUEUE') body.queue_position = 0;
  if (status === 'COMPLETED') body.response_url = urlsOf(state, run, false).response_url;
  send(response, entry, status === 'COMPLETED' ? 200 : 202, body);
}

async function routeQueue(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  entry: FakeFalRequest,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  const match = /^\/[^/]+\/[^/]+\/requests\/([\w-]+)(\/status|\/cancel)?$/.exec(path);
  if (!match) {
    if (request.method === 'POST') return handleSubmit(state, request, response, entry);
    return send(response, entry, 404, { detail: 'Not Found' });
  }
  if (!authorized(state, request))
    return send(response, entry, 401, { detail: 'Invalid Key Authorization header format or key not found' });
  const run = state.runs.get(match[1]!);
  if (!run) return send(response, entry, 404, { detail: 'Request not found' });
  if (match[2] === '/cancel' && request.method === 'PUT') {
    if (queueStatus(run, Date.now()) === 'COMPLETED')
      return send(response, entry, 400, { status: 'ALREADY_COMPLETED' });
    run.cancelled = true;
    return send(response, entry, 202, { status: 'CANCELLATION_REQUESTED' });
  }
  if (request.method !== 'GET') return send(response, entry, 405, { detail: 'Method Not Allowed' });
  await handleQueueGet(state, response, entry, run, match[2] === '/status');
}

async function routeSync(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  entry: FakeFalRequest,
): Promise<void> {
  if (request.method !== 'POST') return send(response, entry, 405, { detail: 'Method Not Allowed' });
  const admitted = await admit(state, request, response, entry);
  if (!admitted) return;
  const waitMs = admitted.run.completesAt - Date.now();
  if (waitMs > 0 && !(await waitUnlessClosed(waitMs, response, state.timers))) return;
  if (nameOf(admitted.scenario) === 'malformed') return send(response, entry, 200, '{"images": [{"url": "ht');
  response.setHeader('x-fal-request-id', admitted.run.id);
  await resultAnswer(state, admitted.run, response, entry);
}

async function routeCdn(state: State, response: ServerResponse, entry: FakeFalRequest): Promise<void> {
  if (
    state.options.resultDelayMs > 0 &&
    !(await waitUnlessClosed(state.options.resultDelayMs, response, state.timers))
  )
    return;
  const match = /^\/files\/([\w-]+)\/(\d+)\.(png|jpg)$/.exec(entry.url.split('?')[0]!);
  const run = match ? state.runs.get(match[1]!) : undefined;
  if (!run || Number(match![2]) >= run.count)
    return send(response, entry, 404, 'Not Found', { 'content-type': 'text/plain' });
  if (run.resultExpired || Date.now() > run.completesAt + state.options.resultTtlMs)
    return send(response, entry, 403, 'Forbidden', { 'content-type': 'text/plain' });
  const bytes = drawTestImage({
    format: run.format,
    width: run.width,
    height: run.height,
    seed: run.seed + Number(match![2]),
  });
  entry.status = 200;
  response.writeHead(200, {
    'content-type': run.format === 'png' ? 'image/png' : 'image/jpeg',
    'content-length': String(bytes.byteLength),
  });
  response.end(bytes);
}

async function listen(server: Server, sockets: Set<Socket>): Promise<string> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Route = (
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  entry: FakeFalRequest,
) => Promise<void>;

function serve(state: State, which: FakeFalRequest['server'], route: Route): Server {
  return createServer((request, response) => {
    const entry: FakeFalRequest = {
      server: which,
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
    route(state, request, response, entry).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
}

/** Starts the fake queue, sync and CDN servers on 127.0.0.1 (port 0). Close it after the test. */
export async function startFakeFalServer(options: FakeFalServerOptions = {}): Promise<FakeFalServer> {
  const state: State = {
    options: {
      apiKeys: options.apiKeys ?? ['fal-test-key'],
      queueMs: options.queueMs ?? 40,
      processingMs: options.processingMs ?? 80,
      resultTtlMs: options.resultTtlMs ?? 3_600_000,
      resultDelayMs: options.resultDelayMs ?? 0,
    },
    models: fakeFalModels(options.models),
    queue: [],
    runs: new Map(),
    requests: [],
    timers: new Set(),
    queueUrl: '',
    cdnUrl: '',
  };
  const sockets = new Set<Socket>();
  const servers = [
    serve(state, 'queue', routeQueue),
    serve(state, 'sync', routeSync),
    serve(state, 'cdn', (s, _request, response, entry) => routeCdn(s, response, entry)),
  ];
  const [queueUrl, syncUrl, cdnUrl] = await Promise.all(servers.map((server) => listen(server, sockets)));
  state.queueUrl = queueUrl!;
  state.cdnUrl = cdnUrl!;
  return {
    queueUrl: queueUrl!,
    syncUrl: syncUrl!,
    cdnUrl: cdnUrl!,
    cdnHost: new URL(cdnUrl!).host,
    requests: state.requests,
    runs: state.runs,
    enqueue: (...scenarios) => state.queue.push(...scenarios),
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}

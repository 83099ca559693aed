/**
 * A fake Black Forest Labs API: two real HTTP servers on 127.0.0.1. The API server takes submits
 * (`POST /v1/{endpoint}` with `x-key`), keeps each task's state machine (Pending for a short,
 * configurable processing time, then Ready or a moderated or failed status) and answers polls at
 * `GET /v1/get_result?id=`. The CDN server, on another port and so another host, serves the result
 * images at URLs that expire, the way BFL's delivery host does. Scenarios make the next submit fail
 * the ways the real API does. UNCONFIRMED behaviour (429 headers, the expired-URL answer) is
 * configurable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawTestImage, waitUnlessClosed } from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  checkSubmit,
  type FakeBflEndpoint,
  type FakeBflOutcome,
  type FakeBflTask,
  fakeBflEndpoints,
  newTaskId,
  taskStatus,
} from './fake-bfl-tasks.ts';

/** What the next submit should meet; used up by the submit that takes it. */
export type FakeBflScenario =
  | 'success'
  | 'unauthorized'
  | 'insufficient_credit'
  | 'server_error'
  /** The submit answer is cut JSON. */
  | 'malformed'
  /** The task ends `Content Moderated` (the output was refused). */
  | 'content_filtered'
  /** The task ends `Request Moderated` (the prompt was refused). */
  | 'request_moderated'
  | 'task_error'
  | 'task_not_found'
  /** The polling URL points to a host that is not BFL's. */
  | 'foreign_polling_host'
  /** The result URL points to a host nobody allowed. */
  | 'foreign_result_host'
  /** The result URL has expired by the time the task is Ready. */
  | 'expired_result'
  /** The submit answer has no polling_url (older replies): the client must build it. */
  | 'no_polling_url'
  /** The next poll answers with a body that is not JSON. */
  | 'poll_malformed'
  | { type: 'rate_limited'; retryAfterSeconds?: number }
  | 'rate_limited'
  /** The first `count` polls answer 429 before the task proceeds (default 1). */
  | { type: 'poll_rate_limited'; count?: number }
  /** The task stays Pending this long (default 5000 ms). */
  | { type: 'slow'; delayMs?: number }
  | 'slow';

/** Options of {@link startFakeBflServer}. */
export interface FakeBflServerOptions {
  /** Accepted keys (default `['bfl-test-key']`). */
  apiKeys?: string[];
  /** Time from submit to the task's outcome (default 120 ms). */
  processingMs?: number;
  /** How long a result URL works (default 10 minutes, as BFL documents for `sample`). */
  resultTtlMs?: number;
  /** Prompts containing one of these words end `Request Moderated`. */
  moderatedWords?: string[];
  /** Active tasks per key before submits answer 429 (default 24, UNCONFIRMED). */
  maxActiveTasks?: number;
  /** Extra models (same providerData shape as the plugin's catalog). */
  models?: ModelDescriptorInput[];
  /** The CDN waits this long before answering (default 0), unless the client leaves first. */
  resultDelayMs?: number;
}

/** One request either server received. */
export interface FakeBflRequest {
  server: 'api' | 'cdn';
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body?: Record<string, unknown>;
  status?: number;
}

/** A running fake. */
export interface FakeBflServer {
  /** API base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** The CDN's base URL (another port: another host for the allow lists). */
  readonly cdnUrl: string;
  /** The CDN's `host:port`, to put in `resultHosts`. */
  readonly cdnHost: string;
  /** Every request received by either server, in order. */
  readonly requests: FakeBflRequest[];
  /** Every task submitted. */
  readonly tasks: ReadonlyMap<string, FakeBflTask>;
  /** Queues scenarios for the next submits, in order. */
  enqueue(...scenarios: FakeBflScenario[]): void;
  /** Stops both servers, cutting open connections and pending timers. */
  close(): Promise<void>;
}

interface State {
  options: Required<Omit<FakeBflServerOptions, 'models'>>;
  endpoints: Map<string, FakeBflEndpoint>;
  queue: FakeBflScenario[];
  tasks: Map<string, FakeBflTask>;
  requests: FakeBflRequest[];
  timers: Set<ReturnType<typeof setTimeout>>;
  url: string;
  cdnUrl: string;
}

function send(
  response: ServerResponse,
  record: FakeBflRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  record.status = status;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function scenarioName(scenario: FakeBflScenario): string {
  return typeof scenario === 'string' ? scenario : scenario.type;
}

/** Answers a submit that fails before any task exists; true when it answered. */
function failSubmit(scenario: FakeBflScenario, response: ServerResponse, record: FakeBflRequest): boolean {
  switch (scenarioName(scenario)) {
    case 'unauthorized':
      send(response, record, 403, { detail: 'Not authenticated - Invalid Authentication' });
      return true;
    case 'insufficient_credit':
      send(response, record, 402, { detail: 'Insufficient credits' });
      return true;
    case 'server_error':
      send(response, record, 500, { detail: 'Internal Server Error' });
      return true;
    case 'rate_limited': {
      const seconds =
        typeof scenario === 'object' && scenario.type === 'rate_limited'
          ? (scenario.retryAfterSeconds ?? 1)
          : 1;
      send(
        response,
        record,
        429,
        { detail: 'You have exceeded the number of active tasks.' },
        { 'retry-after': String(seconds) },
      );
      return true;
    }
    case 'malformed':
      record.status = 200;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "cut');
      return true;
    default:
      return false;
  }
}

function outcomeFor(scenario: FakeBflScenario, prompt: string, moderatedWords: string[]): FakeBflOutcome {
  const name = scenarioName(scenario);
  if (name === 'content_filtered') return 'Content Moderated';
  if (name === 'request_moderated') return 'Request Moderated';
  if (name === 'task_error') return 'Error';
  if (name === 'task_not_found') return 'Task not found';
  const lower = prompt.toLowerCase();
  return moderatedWords.some((word) => lower.includes(word.toLowerCase())) ? 'Request Moderated' : 'Ready';
}

function createTask(
  state: State,
  scenario: FakeBflScenario,
  endpoint: string,
  body: Record<string, unknown>,
  drawn: { width: number; height: number; format: 'png' | 'jpeg' },
): FakeBflTask {
  const name = scenarioName(scenario);
  const slowMs =
    name === 'slow'
      ? typeof scenario === 'object' && scenario.type === 'slow'
        ? (scenario.delayMs ?? 5_000)
        : 5_000
      : 0;
  const task: FakeBflTask = {
    id: newTaskId(),
    endpoint,
    prompt: String(body.prompt),
    ...drawn,
    seed: typeof body.seed === 'number' ? body.seed : Math.floor(Math.random() * 2 ** 31),
    readyAt: Date.now() + state.options.processingMs + slowMs,
    outcome: outcomeFor(scenario, String(body.prompt), state.options.moderatedWords),
    token: newTaskId().replaceAll('-', ''),
    polls: 0,
    pollRateLimits: name === 'poll_rate_limited' ? ((scenario as { count?: number }).count ?? 1) : 0,
    pollMalformed: name === 'poll_malformed',
    foreignResultHost: name === 'foreign_result_host',
    resultExpired: name === 'expired_result',
  };
  state.tasks.set(task.id, task);
  return task;
}

async function handleSubmit(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  record: FakeBflRequest,
  path: string,
): Promise<void> {
  const text = await readBody(request);
  const key = request.headers['x-key'];
  if (typeof key !== 'string' || !state.options.apiKeys.includes(key)) {
    send(response, record, 403, { detail: 'Not authenticated - Invalid Authentication' });
    return;
  }
  const endpoint = state.endpoints.get(path);
  if (!endpoint) {
    send(response, record, 404, { detail: 'Not Found' });
    return;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
    record.body = body;
  } catch {
    send(response, record, 422, {
      detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }],
    });
    return;
  }
  const scenario = state.queue.shift() ?? 'success';
  if (failSubmit(scenario, response, record)) return;
  const active = [...state.tasks.values()].filter((task) => Date.now() < task.readyAt).length;
  if (active >= state.options.maxActiveTasks) {
    send(
      response,
      record,
      429,
      { detail: 'You have exceeded the number of active tasks.' },
      { 'retry-after': '1' },
    );
    return;
  }
  const checked = checkSubmit(body, endpoint);
  if ('problem' in checked) {
    send(response, record, 422, { detail: [{ ...checked.problem, type: 'value_error' }] });
    return;
  }
  const task = createTask(state, scenario, path, body, checked);
  const name = scenarioName(scenario);
  const pollingBase = name === 'foreign_polling_host' ? 'https://polling.example.com' : state.url;
  send(response, record, 200, {
    id: task.id,
    ...(name === 'no_polling_url' ? {} : { polling_url: `${pollingBase}/v1/get_result?id=${task.id}` }),
    cost: (endpoint.model.pricing?.perImage?.[0]?.usd ?? 0.04) * 100,
  });
}

function handlePoll(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  record: FakeBflRequest,
  query: URLSearchParams,
): void {
  const key = request.headers['x-key'];
  if (typeof key !== 'string' || !state.options.apiKeys.includes(key)) {
    send(response, record, 403, { detail: 'Not authenticated - Invalid Authentication' });
    return;
  }
  const id = query.get('id') ?? '';
  const task = state.tasks.get(id);
  if (!task) {
    send(response, record, 200, { id, status: 'Task not found' });
    return;
  }
  task.polls += 1;
  if (task.pollRateLimits > 0) {
    task.pollRateLimits -= 1;
    send(response, record, 429, { detail: 'Too many requests' }, { 'retry-after': '0' });
    return;
  }
  if (task.pollMalformed) {
    task.pollMalformed = false;
    send(response, record, 200, '<html>502 Bad Gateway</html>', { 'content-type': 'text/html' });
    return;
  }
  const status = taskStatus(task, Date.now());
  if (status === 'Pending') {
    send(response, record, 200, { id, status, progress: null });
    return;
  }
  if (status !== 'Ready') {
    send(response, record, 200, { id, status, result: null });
    return;
  }
  const cdn = task.foreignResultHost ? 'https://cdn.example.net' : state.cdnUrl;
  send(response, record, 200, {
    id,
    status,
    result: {
      sample: `${cdn}/results/${task.token}/sample.${task.format === 'png' ? 'png' : 'jpg'}?se=signed`,
      seed: task.seed,
      prompt: task.prompt,
    },
  });
}

async function handleCdn(
  state: State,
  response: ServerResponse,
  record: FakeBflRequest,
  path: string,
): Promise<void> {
  if (
    state.options.resultDelayMs > 0 &&
    !(await waitUnlessClosed(state.options.resultDelayMs, response, state.timers))
  )
    return;
  const match = /^\/results\/([0-9a-f]+)\/sample\.(png|jpg)$/.exec(path);
  const task = match
    ? [...state.tasks.values()].find((candidate) => candidate.token === match[1])
    : undefined;
  if (!task) {
    send(response, record, 404, '<Error><Code>BlobNotFound</Code></Error>', {
      'content-type': 'application/xml',
    });
    return;
  }
  if (task.resultExpired || Date.now() > task.readyAt + state.options.resultTtlMs) {
    send(
      response,
      record,
      403,
      '<Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed</Message></Error>',
      { 'content-type': 'application/xml' },
    );
    return;
  }
  const bytes = drawTestImage({
    format: task.format,
    width: task.width,
    height: task.height,
    seed: task.seed,
  });
  record.status = 200;
  response.writeHead(200, {
    'content-type': task.format === 'png' ? 'image/png' : 'image/jpeg',
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

function record(state: State, which: 'api' | 'cdn', request: IncomingMessage): FakeBflRequest {
  const entry: FakeBflRequest = {
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
  return entry;
}

async function routeApi(state: State, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const entry = record(state, 'api', request);
  const url = new URL(request.url ?? '/', state.url);
  if (request.method === 'GET' && url.pathname === '/v1/get_result') {
    handlePoll(state, request, response, entry, url.searchParams);
    return;
  }
  if (request.method === 'POST') {
    await handleSubmit(state, request, response, entry, url.pathname);
    return;
  }
  send(response, entry, 404, { detail: 'Not Found' });
}

/**
 * Starts the fake API and CDN servers on 127.0.0.1 (port 0). Close it after the test.
 */
export async function startFakeBflServer(options: FakeBflServerOptions = {}): Promise<FakeBflServer> {
  const state: State = {
    options: {
      apiKeys: options.apiKeys ?? ['bfl-test-key'],
      processingMs: options.processingMs ?? 120,
      resultTtlMs: options.resultTtlMs ?? 600_000,
      moderatedWords: options.moderatedWords ?? [],
      maxActiveTasks: options.maxActiveTasks ?? 24,
      resultDelayMs: options.resultDelayMs ?? 0,
    },
    endpoints: fakeBflEndpoints(options.models),
    queue: [],
    tasks: new Map(),
    requests: [],
    timers: new Set(),
    url: '',
    cdnUrl: '',
  };
  const sockets = new Set<Socket>();
  const fail = (response: ServerResponse) => () => {
    if (!response.headersSent) response.writeHead(500).end();
  };
  const api = createServer((request, response) => {
    routeApi(state, request, response).catch(fail(response));
  });
  const cdn = createServer((request, response) => {
    const entry = record(state, 'cdn', request);
    handleCdn(state, response, entry, new URL(request.url ?? '/', 'http://cdn').pathname).catch(
      fail(response),
    );
  });
  state.url = await listen(api, sockets);
  state.cdnUrl = await listen(cdn, sockets);
  return {
    url: state.url,
    cdnUrl: state.cdnUrl,
    cdnHost: new URL(state.cdnUrl).host,
    requests: state.requests,
    tasks: state.tasks,
    enqueue: (...scenarios) => state.queue.push(...scenarios),
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        [api, cdn].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}

import { randomBytes } from 'node:crypto';
import {
  ANONYMOUS_TENANT,
  type Authenticate,
  GatewayError,
  type TenantContext,
  toGatewayError,
  toNativeErrorEnvelope,
  toOpenAIErrorEnvelope,
} from '@pixelgate/core';
import type { BatchService } from './batch-service.ts';
import { isAudited } from './job-precheck.ts';
import { jobOperationSchema } from './job-schemas.ts';
import { type JobService, jobBodyTooLarge } from './job-service.ts';

/** Options of {@link createJobsHandler}. */
export interface JobsHandlerOptions {
  jobs: JobService;
  /** Batches; without it the batch routes answer 404. */
  batches?: BatchService;
  authenticate: Authenticate;
  /** The API handler's path prefix (default ''). */
  pathPrefix?: string;
  /**
   * Largest JSON body accepted on the generation routes with `Prefer: respond-async` and for batches
   * (default 1 MiB, as the API's). `POST .../jobs` takes up to the job service's `maxBodyBytes`
   * (20 MiB by default), since an edit job carries its images as data URLs.
   */
  maxBodyBytes?: number;
}

const JOBS = '/v1/inference/images/jobs';
const BATCHES = '/v1/inference/images/batches';
const GENERATION_ROUTES = new Set(['/v1/images/generations', '/v1/inference/images/generate']);

/**
 * The job routes: `POST {prefix}/v1/inference/images/jobs` (a generation body, or an edit body
 * with `"operation": "edit"` and its images as data URLs, plus an optional `webhook_url`), `GET` and `DELETE {prefix}/v1/inference/images/jobs/{id}`, and `Prefer:
 * respond-async` on the two generation routes. Each answers `202` with the job and a `Location`.
 * Answers `undefined` for every other request, so it mounts in front of the API handler.
 */
export function createJobsHandler(options: JobsHandlerOptions) {
  const prefix = options.pathPrefix ?? '';
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const route = async (request: Request): Promise<Response | undefined> => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(`${prefix}/`)) return undefined;
    const local = path.slice(prefix.length);
    const async = /\brespond-async\b/i.test(request.headers.get('prefer') ?? '');
    const isJobs = local === JOBS || local.startsWith(`${JOBS}/`);
    const isBatches = options.batches !== undefined && (local === BATCHES || local.startsWith(`${BATCHES}/`));
    if (isBatches) return handleBatches(options, options.batches!, prefix, local, request, maxBodyBytes);
    if (!isJobs && !(async && request.method === 'POST' && GENERATION_ROUTES.has(local))) return undefined;
    const native = local.startsWith('/v1/inference/');
    const submitting = local === JOBS || GENERATION_ROUTES.has(local);
    let tenant: TenantContext | undefined;
    try {
      tenant = await authenticate(options.authenticate, request);
      if (submitting) {
        if (request.method !== 'POST') throw notAllowed(request.method, 'POST');
        return await submit(
          options,
          prefix,
          tenant,
          request,
          local === '/v1/images/generations' ? 'openai' : 'native',
          local === JOBS ? undefined : maxBodyBytes,
        );
      }
      const id = local.slice(JOBS.length + 1);
      if (request.method === 'GET') return found(await options.jobs.get(tenant, id), 200);
      if (request.method === 'DELETE') return found(await options.jobs.cancel(tenant, id), 200);
      throw notAllowed(request.method, 'GET, DELETE');
    } catch (thrown) {
      const error = toGatewayError(thrown);
      // Every submitted request leaves one record: refusals the job service or the gateway did
      // not audit (authentication, method, an unreadable body) are audited here.
      if (submitting && !isAudited(thrown)) await auditUnreadRefusal(options.jobs, tenant, native, error);
      const body = native ? toNativeErrorEnvelope(error) : toOpenAIErrorEnvelope(error);
      return json(
        error.status,
        body,
        error.status === 401 ? { 'www-authenticate': 'Bearer realm="pixelgate"' } : {},
      );
    }
  };
  return async (request: Request): Promise<Response | undefined> => {
    const response = await route(request);
    if (response && !response.headers.has('x-request-id'))
      response.headers.set('x-request-id', requestIdOf(request));
    return response;
  };
}

async function handleBatches(
  options: JobsHandlerOptions,
  batches: BatchService,
  prefix: string,
  local: string,
  request: Request,
  maxBodyBytes: number,
): Promise<Response> {
  try {
    const tenant = await authenticate(options.authenticate, request);
    if (local === BATCHES) {
      if (request.method !== 'POST') throw notAllowed(request.method, 'POST');
      const requests = await readBatch(request, maxBodyBytes * batches.maxItems);
      const batch = await batches.submit(tenant, requests);
      return json(202, batch, { location: `${prefix}${BATCHES}/${batch.id}` });
    }
    if (request.method !== 'GET') throw notAllowed(request.method, 'GET');
    const rest = local.slice(BATCHES.length + 1);
    if (rest.endsWith('/results')) {
      const object = await batches.results(tenant, rest.slice(0, -'/results'.length));
      if (!object)
        throw new GatewayError('NOT_FOUND', 'No such batch, or it has not finished yet.', { status: 404 });
      return new Response(object.body, {
        status: 200,
        headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' },
      });
    }
    return found(await batches.get(tenant, rest), 200);
  } catch (thrown) {
    const error = toGatewayError(thrown);
    return json(error.status, toNativeErrorEnvelope(error));
  }
}

/** A batch body: `{ "requests": [...] }` as JSON, or one request per line as JSONL. */
async function readBatch(request: Request, maxBytes: number): Promise<unknown[]> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-ndjson') || type.startsWith('application/jsonl')) {
    const text = await request.text();
    if (Buffer.byteLength(text) > maxBytes)
      throw new GatewayError('PAYLOAD_TOO_LARGE', `The body is over ${maxBytes} bytes.`, { status: 413 });
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new GatewayError(
            'VALIDATION_ERROR',
            `Line ${index + 1} of the JSONL body is not valid JSON.`,
            {
              param: `requests[${index}]`,
            },
          );
        }
      });
  }
  const body = await readJson(request, maxBytes);
  if (!Array.isArray(body.requests)) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'A batch is { "requests": [ ...generation requests ] } or a JSONL upload.',
      {
        param: 'requests',
      },
    );
  }
  return body.requests;
}

/**
 * Submits a job. `routeLimit` is the generation route's body limit for `Prefer: respond-async`;
 * without it this is the jobs route, which takes the job service's limit and an `operation`.
 */
async function submit(
  options: JobsHandlerOptions,
  prefix: string,
  tenant: TenantContext,
  request: Request,
  style: 'openai' | 'native',
  routeLimit: number | undefined,
): Promise<Response> {
  const source = style === 'openai' ? 'http:openai' : 'http:native';
  const jobs = options.jobs;
  const limit = routeLimit ?? jobs.maxBodyBytes;
  const whole = await readJson(request, limit).catch((thrown: unknown) => {
    const error = toGatewayError(thrown);
    if (error.code !== 'PAYLOAD_TOO_LARGE') throw error;
    return jobs.refuse({ tenant, body: {}, source, operation: 'generate', error: jobBodyTooLarge(limit) });
  });
  const { webhook_url: webhookUrl, ...rest } = whole;
  if (webhookUrl !== undefined && typeof webhookUrl !== 'string') {
    throw new GatewayError('VALIDATION_ERROR', 'webhook_url must be a string (an https URL).', {
      param: 'webhook_url',
    });
  }
  const { operation, body } =
    routeLimit === undefined ? splitOperation(rest) : { operation: 'generate' as const, body: rest };
  if (operation === undefined) {
    const error = new GatewayError(
      'VALIDATION_ERROR',
      `'operation' must be 'generate' (the default) or 'edit'; got ${JSON.stringify(rest.operation)}.`,
      { param: 'operation' },
    );
    await jobs.refuse({ tenant, body, source, operation: 'generate', error });
  }
  const view = await jobs.submit(tenant, body, {
    style,
    ...(webhookUrl ? { webhookUrl } : {}),
    source,
    operation: operation ?? 'generate',
  });
  return json(202, view, { location: `${prefix}${JOBS}/${view.id}` });
}

/** The jobs route's `operation` field (default `generate`) apart from the request body; undefined when invalid. */
function splitOperation(whole: Record<string, unknown>) {
  const { operation, ...body } = whole;
  const parsed = jobOperationSchema.safeParse(operation ?? 'generate');
  return { operation: parsed.success ? parsed.data : undefined, body };
}

async function authenticate(authenticator: Authenticate, request: Request): Promise<TenantContext> {
  const tenant = await authenticator(request);
  if (!tenant)
    throw new GatewayError('AUTHENTICATION_ERROR', 'Send a valid API key as "Authorization: Bearer <key>".');
  return tenant;
}

async function readJson(request: Request, maxBodyBytes: number): Promise<Record<string, unknown>> {
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    throw new GatewayError('VALIDATION_ERROR', 'Send the job as application/json.', { status: 415 });
  }
  const text = await readBounded(request, maxBodyBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('VALIDATION_ERROR', 'The body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('VALIDATION_ERROR', 'The body must be a JSON object (a generation request).');
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a body as text, stopping as soon as it passes `maxBytes` (a declared Content-Length over
 * it is refused before reading), so an oversized upload is never held whole in memory.
 */
async function readBounded(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new GatewayError('PAYLOAD_TOO_LARGE', `The body is over ${maxBytes} bytes.`, { status: 413 });
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function found(view: unknown, status: number): Response {
  if (!view) throw new GatewayError('NOT_FOUND', 'No such job.', { status: 404 });
  return json(status, view);
}

function notAllowed(method: string, allowed: string): GatewayError {
  return new GatewayError('VALIDATION_ERROR', `${method} is not allowed here; use ${allowed}.`, {
    status: 405,
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** Audits a refusal that came before the body was read or understood: the record names no model. */
async function auditUnreadRefusal(
  jobs: JobService,
  tenant: TenantContext | undefined,
  native: boolean,
  error: GatewayError,
): Promise<void> {
  await jobs
    .refuse({
      tenant: tenant ?? ANONYMOUS_TENANT,
      body: {},
      source: native ? 'http:native' : 'http:openai',
      operation: 'generate',
      error,
    })
    .catch(() => undefined);
}

/** The caller's `x-request-id` when it is a valid one (as the API handler accepts), else a new id. */
function requestIdOf(request: Request): string {
  const sent = request.headers.get('x-request-id');
  return sent && /^[A-Za-z0-9._:-]{1,128}$/.test(sent) ? sent : `req_${randomBytes(12).toString('hex')}`;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  authorized,
  type FakeStabilityContext,
  HttpFailure,
  notifyWaiters,
  readBody,
  sendError,
  sendJson,
} from './fake-stability-context.ts';
import { handleV2betaEdit } from './fake-stability-edit.ts';
import { earlyFailure } from './fake-stability-scenarios.ts';
import type { FakeStabilityRequest } from './fake-stability-types.ts';
import { handleV1 } from './fake-stability-v1.ts';
import { handleV2beta } from './fake-stability-v2beta.ts';

/**
 * The fake's router: records the request, serves `/v1/engines/list`, reads the body with its size
 * cap, checks the key and the rate limit, applies the queued error scenario, then hands the request
 * to the v2beta generate, v2beta edit or v1 route.
 */
export async function handleRequest(
  ctx: FakeStabilityContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
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
  ctx.requests.push(record);
  notifyWaiters(ctx);
  response.on('close', () => {
    if (!response.writableFinished) record.clientAborted = true;
  });
  response.on('finish', () => {
    record.status = response.statusCode;
  });

  const v2 = /^\/v2beta\/stable-image\/generate\/([^/]+)$/.exec(path);
  const edit = /^\/v2beta\/stable-image\/edit\/([^/]+)$/.exec(path);
  const v1 = /^\/v1\/generation\/([^/]+)\/text-to-image$/.exec(path);
  const isV1 = v1 !== null || path.startsWith('/v1/');

  if (request.method === 'GET' && path === '/v1/engines/list') {
    if (!authorized(ctx, request))
      return sendError(
        ctx,
        response,
        true,
        new HttpFailure(401, 'unauthorized', 'Missing or invalid API key.'),
      );
    return sendJson(
      ctx,
      response,
      200,
      Object.keys(ctx.engines)
        .filter((engine) => !ctx.retired.has(engine))
        .map((engine) => ({ id: engine, name: engine, description: engine, type: 'PICTURE' })),
    );
  }
  if (request.method !== 'POST' || (!v2 && !v1 && !edit)) {
    request.resume();
    return sendError(
      ctx,
      response,
      isV1,
      new HttpFailure(404, 'not_found', `${request.method} ${path} does not exist.`),
    );
  }

  const body = await readBody(ctx, request);
  if (body === 'too_large') {
    // Answer at once and close: the rest of an oversized body is not worth reading.
    response.setHeader('connection', 'close');
    sendError(
      ctx,
      response,
      isV1,
      new HttpFailure(413, 'payload_too_large', `request: must be at most ${ctx.maxRequestBytes} bytes`),
    );
    response.once('finish', () => request.destroy());
    return;
  }
  record.bodyBytes = body.byteLength;

  if (!authorized(ctx, request)) {
    return sendError(
      ctx,
      response,
      isV1,
      new HttpFailure(401, 'unauthorized', 'authorization: missing or invalid API key'),
    );
  }
  if (ctx.limiter) {
    const wait = ctx.limiter.take(request.headers.authorization ?? '');
    if (wait !== undefined) {
      return sendError(
        ctx,
        response,
        isV1,
        new HttpFailure(
          429,
          'rate_limit_exceeded',
          'You have exceeded the rate limit of 150 requests within a 10 second period; you are locked out for 60 seconds.',
        ),
        ctx.options.retryAfterOnRateLimit ? { 'retry-after': String(Math.ceil(wait / 1000)) } : {},
      );
    }
  }

  const scenario = ctx.scenarios.shift() ?? 'success';
  const early = earlyFailure(scenario, isV1);
  if (early) return sendError(ctx, response, isV1, early.failure, early.headers);

  try {
    if (v2) await handleV2beta(ctx, v2[1]!, request, response, body, record, scenario);
    else if (edit) await handleV2betaEdit(ctx, edit[1]!, request, response, body, record, scenario);
    else await handleV1(ctx, v1![1]!, request, response, body, record, scenario);
  } catch (error) {
    if (error instanceof HttpFailure) return sendError(ctx, response, isV1, error);
    throw error;
  }
}

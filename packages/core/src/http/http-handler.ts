import { randomUUID } from 'node:crypto';
import { type TenantContext, tenantContextSchema } from '../access/tenant.ts';
import { type Clock, type IdGenerator, systemClock, TOKENS } from '../container/tokens.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { toNativeErrorEnvelope, toOpenAIErrorEnvelope } from '../errors/render-error.ts';
import type { Gateway } from '../gateway/create-gateway.ts';
import { createMediaHandler, type MediaHandler } from '../media/media-handler.ts';
import type { MediaSigner } from '../media/media-signer.ts';
import { type ModelDescriptor, qualifiedModelId } from '../models/model-descriptor.ts';
import { buildOpenApiDocument } from '../openapi/openapi-document.ts';
import type { RouteDoc } from '../openapi/openapi-routes.ts';
import { type GenerationResult, toOpenAIImagesResponse } from '../pipeline/generation-result.ts';
import { type Logger, silentLogger } from '../provider/logger.ts';
import { rateLimitHeaders } from '../rate-limit/rate-limit-helpers.ts';
import type { RateLimitDecision } from '../rate-limit/rate-limit-store.ts';
import { type Authenticate, hasCredentials } from './api-key-authenticator.ts';
import { type CorsOptions, type CorsPolicy, createCorsPolicy } from './cors.ts';
import {
  checkJsonContentType,
  DEFAULT_MAX_BODY_BYTES,
  parseJsonObject,
  readRequestBody,
} from './request-body.ts';

/** A fetch-style handler: what every modern server, edge runtime and test can call. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /**
   * Who is calling: return the tenant, or null when the request proves no identity (401).
   * Use {@link createApiKeyAuthenticator} for static keys. Required unless `anonymous` is set.
   */
  authenticate?: Authenticate;
  /**
   * The tenant used for requests that carry no credentials at all (or for every request when no
   * `authenticate` is given). Off by default: set it only for deliberately public deployments
   * (demos, internal tools behind another auth layer). With `authenticate` as well, a request that
   * does present a key still has to pass it.
   */
  anonymous?: TenantContext;
  /**
   * Path prefix the routes live under (`/oai` serves `/oai/v1/images/generations`). Defaults to
   * the gateway's `media.pathPrefix`, and must equal it: media URLs are built from that setting.
   */
  pathPrefix?: string;
  /** Largest accepted request body in bytes (default 1 MiB). Larger bodies get 413. */
  maxBodyBytes?: number;
  /** Cross-origin access for browsers; off by default. */
  cors?: CorsOptions;
  /**
   * Reuse a caller's `x-request-id` (1-128 of `A-Z a-z 0-9 . _ : -`) instead of issuing one
   * (default true), so a request can be followed from the client through proxies to the audit log.
   */
  acceptRequestId?: boolean;
  /** Where handler-level failures (a throwing authenticator, a bug) are logged; default: the gateway's logger. */
  logger?: Logger;
  /** Routes served next to this handler (a console's), listed in `GET {prefix}/openapi.json` too. */
  extraRouteDocs?: RouteDoc[];
}

/** Envelope style of a route. */
type Style = 'openai' | 'native';

interface RequestContext {
  requestId: string;
  style: Style;
  request: Request;
  rateLimit?: RateLimitDecision[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PREFIX = /^(\/[A-Za-z0-9._~-]+)*$/;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Creates the HTTP surface of a gateway as one fetch-style function:
 *
 * - `POST {prefix}/v1/images/generations`: OpenAI-compatible; request, response and error shapes
 *   are OpenAI's, so OpenAI SDKs work unchanged (point their `baseURL` at `{origin}{prefix}/v1`).
 * - `POST {prefix}/v1/inference/images/generate`: native; provider-qualified model ids, metadata
 *   echoed back, warnings, labels, cost and request id in the body, native error envelope.
 * - `GET {prefix}/v1/models` and `GET {prefix}/v1/models/{id}`: the models this caller may use,
 *   with capabilities under `pixelgate`.
 * - `GET|HEAD {prefix}/v1/media/{token}`: stored images; the signed token is the credential.
 *
 * Every response carries `x-request-id`; generation responses carry `x-ratelimit-*` when limits
 * apply (errors too) and `Retry-After` on 429. The handler never throws and never renders a stack
 * trace or internal message: anything unexpected is a 500 INTERNAL_ERROR with a generic message.
 * @throws GatewayError CONFIGURATION_ERROR at creation for invalid options.
 */
export function createHttpHandler(gateway: Gateway, options: HttpHandlerOptions = {}): FetchHandler {
  const configuredPrefix = gateway.config.media.pathPrefix;
  const prefix = options.pathPrefix ?? configuredPrefix;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      "pathPrefix must be empty or like '/oai' (segments of A-Z a-z 0-9 . _ ~ -, no trailing slash).",
      {
        param: 'pathPrefix',
      },
    );
  }
  if (prefix !== configuredPrefix) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `pathPrefix '${prefix}' differs from the gateway's media.pathPrefix '${configuredPrefix}'; set media.pathPrefix in createGateway so media URLs point at this handler.`,
      { param: 'pathPrefix' },
    );
  }
  if (!options.authenticate && !options.anonymous) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'createHttpHandler needs `authenticate` (for example createApiKeyAuthenticator({ keys })) or, for a deliberately open server, `anonymous`.',
      { param: 'authenticate' },
    );
  }
  let anonymous: TenantContext | undefined;
  if (options.anonymous) {
    const parsed = tenantContextSchema.safeParse(options.anonymous);
    if (!parsed.success) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        'anonymous must be a tenant context such as { tenantId: "public" }.',
        { param: 'anonymous' },
      );
    }
    anonymous = Object.freeze(parsed.data);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new GatewayError('CONFIGURATION_ERROR', 'maxBodyBytes must be a positive integer.', {
      param: 'maxBodyBytes',
    });
  }
  const cors: CorsPolicy | undefined = options.cors ? createCorsPolicy(options.cors) : undefined;
  const acceptRequestId = options.acceptRequestId ?? true;
  const ids = gateway.container.resolve<IdGenerator>(TOKENS.IdGenerator);
  const clock = gateway.container.isRegistered(TOKENS.Clock, true)
    ? gateway.container.resolve<Clock>(TOKENS.Clock)
    : systemClock;
  const logger =
    options.logger ??
    (gateway.container.isRegistered(TOKENS.Logger, true)
      ? gateway.container.resolve<Logger>(TOKENS.Logger)
      : silentLogger);
  const media: MediaHandler = createMediaHandler({
    storage: gateway.storage,
    signer: gateway.container.resolve<MediaSigner>(TOKENS.MediaSigner),
    clock,
    pathPrefix: `${prefix}/v1/media/`,
  });

  // Rate-limit decisions of requests in flight, so failures after the rate-limit step still get
  // their x-ratelimit-* headers. Keyed by request id; entries live only while the request does.
  const inFlight = new Map<string, RequestContext>();
  // The event carries the tightest decision; its unit is known when every rule counts the same
  // unit (the usual case). With mixed units it is ambiguous, and no header beats a wrong one.
  const ruleUnits = new Set(gateway.config.rateLimits.rules.map((rule) => rule.unit));
  const onlyUnit = ruleUnits.size === 1 ? [...ruleUnits][0] : undefined;
  gateway.events.on('rate-limit', (event) => {
    const context = inFlight.get(event.requestId);
    if (!context) return;
    const decisions = (event as { decisions?: RateLimitDecision[] }).decisions;
    if (Array.isArray(decisions)) context.rateLimit = decisions;
    else if (onlyUnit) {
      context.rateLimit = [
        {
          allowed: event.allowed,
          limit: event.limit,
          remaining: event.remaining,
          resetMs: event.resetMs,
          unit: onlyUnit,
        },
      ];
    }
  });

  // Built on first request: most servers are never asked for their document.
  let openApiBody: string | undefined;

  const issueRequestId = (request: Request): string => {
    const given = request.headers.get('x-request-id');
    if (acceptRequestId && given && REQUEST_ID.test(given) && !inFlight.has(given)) return given;
    return ids.next('req');
  };

  const baseHeaders = (context: RequestContext): Headers => {
    const headers = new Headers({ 'x-request-id': context.requestId });
    cors?.apply(context.request, headers);
    return headers;
  };

  const json = (
    context: RequestContext,
    status: number,
    body: unknown,
    extra?: Record<string, string>,
  ): Response => {
    const headers = baseHeaders(context);
    headers.set('Content-Type', JSON_TYPE);
    headers.set('Cache-Control', 'no-store');
    if (extra) for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return new Response(JSON.stringify(body), { status, headers });
  };

  const errorResponse = (
    context: RequestContext,
    thrown: unknown,
    extra?: Record<string, string>,
  ): Response => {
    let error = toGatewayError(thrown);
    if (error.code === 'INTERNAL_ERROR' || error.code === 'CONFIGURATION_ERROR') {
      // Internal failures are logged with their detail and rendered without it.
      logger.error(
        {
          requestId: context.requestId,
          code: error.code,
          message: error.message,
          ...(error.cause instanceof Error ? { err: error.cause } : {}),
        },
        'pixelgate http: request failed',
      );
      error = new GatewayError(
        'INTERNAL_ERROR',
        'The server could not complete the request; see the server logs with the request id.',
      );
    }
    const headers: Record<string, string> = { ...extra };
    const limits = context.rateLimit?.length
      ? rateLimitHeaders(context.rateLimit)
      : rateLimitHeadersFromError(error);
    Object.assign(headers, limits);
    if (error.status === 429 || (error.retryable && error.retryAfterMs !== undefined)) {
      const ms = Math.max(0, error.retryAfterMs ?? 1000);
      headers['Retry-After'] = String(Math.max(1, Math.ceil(ms / 1000)));
      headers['retry-after-ms'] = String(Math.ceil(ms));
    }
    if (error.status === 401)
      headers['WWW-Authenticate'] = headers['WWW-Authenticate'] ?? 'Bearer realm="pixelgate"';
    const body =
      context.style === 'openai'
        ? toOpenAIErrorEnvelope(error)
        : toNativeErrorEnvelope(error, context.requestId);
    return json(context, error.status, body, headers);
  };

  const authenticate = async (context: RequestContext): Promise<TenantContext> => {
    const presented = hasCredentials(context.request);
    // Without an authenticator every caller is anonymous (SDKs always send some key); with one,
    // only callers that send no credentials at all are.
    if (anonymous && (!presented || !options.authenticate)) return anonymous;
    const tenant = options.authenticate ? await options.authenticate(context.request) : null;
    if (tenant) {
      const parsed = tenantContextSchema.safeParse(tenant);
      if (!parsed.success) throw new Error('authenticate returned an invalid tenant context');
      return parsed.data;
    }
    throw new GatewayError(
      'AUTHENTICATION_ERROR',
      presented
        ? 'The API key is not valid.'
        : 'No API key was sent; pass it as "Authorization: Bearer <key>" (OpenAI SDKs do this with apiKey) or in an x-api-key header.',
      {
        details: { reason: presented ? 'invalid_credentials' : 'missing_credentials' },
      },
    );
  };

  const wwwAuthenticate = (request: Request) =>
    hasCredentials(request) ? 'Bearer realm="pixelgate", error="invalid_token"' : 'Bearer realm="pixelgate"';

  const absoluteBase = (request: Request): string | undefined => {
    if (gateway.config.media.publicBaseUrl) return undefined;
    try {
      return new URL(request.url).origin;
    } catch {
      return undefined;
    }
  };

  const generate = async (context: RequestContext, tenant: TenantContext): Promise<Response> => {
    checkJsonContentType(context.request);
    const body = parseJsonObject(await readRequestBody(context.request, maxBodyBytes));
    if (context.style === 'native') checkQualifiedModel(gateway, body.model);
    const base = absoluteBase(context.request);
    const result = await gateway.generate(body, {
      tenant,
      signal: context.request.signal,
      source: context.style === 'openai' ? 'http:openai' : 'http:native',
      requestId: context.requestId,
      ...(base ? { publicBaseUrl: base } : {}),
    });
    if (base) makeUrlsAbsolute(result, base);
    const limits = rateLimitHeaders(result.rateLimit ?? []);
    const payload =
      context.style === 'openai' ? toOpenAIImagesResponse(result) : toNativeResponse(result, body.metadata);
    const { chunks, length } = encodeWithInlineBase64(payload);
    const headers = baseHeaders(context);
    headers.set('Content-Type', JSON_TYPE);
    headers.set('Cache-Control', 'no-store');
    headers.set('Content-Length', String(length));
    for (const [name, value] of Object.entries(limits)) headers.set(name, value);
    // The OpenAI body stays exactly OpenAI's, so what an SDK would not show travels in headers:
    // the model that really answered (after any fallback) and every warning (coercions, fallbacks,
    // partial results), never silent.
    headers.set('x-pixelgate-model', result.model);
    if (result.warnings.length > 0) {
      headers.set(
        'x-pixelgate-warnings',
        encodeURIComponent(JSON.stringify(result.warnings.map((w) => w.message))),
      );
    }
    let next = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks[next];
        chunks[next++] = EMPTY; // let each image's bytes go once written
        if (chunk) controller.enqueue(chunk);
        if (next >= chunks.length) controller.close();
      },
    });
    return new Response(stream, { status: 200, headers });
  };

  const listModels = (context: RequestContext, tenant: TenantContext, id?: string): Response => {
    const models = gateway.listModels(tenant);
    if (id === undefined) return json(context, 200, { object: 'list', data: models.map(toModelObject) });
    const model = models.find((candidate) => qualifiedModelId(candidate) === id) ?? findByName(models, id);
    if (!model) {
      return errorResponse(
        context,
        new GatewayError(
          'MODEL_NOT_FOUND',
          `The model '${id}' does not exist or you do not have access to it.`,
          { param: 'model' },
        ),
      );
    }
    return json(context, 200, toModelObject(model));
  };

  const route = async (request: Request, context: RequestContext, path: string): Promise<Response> => {
    const method = request.method.toUpperCase();
    const preflight = method === 'OPTIONS' && request.headers.has('access-control-request-method');
    const allow = (methods: string) => {
      if (preflight && cors) return withRequestId(cors.preflight(request, `${methods}, OPTIONS`), context);
      if (method === 'OPTIONS') {
        const headers = baseHeaders(context);
        headers.set('Allow', `${methods}, OPTIONS`);
        return new Response(null, { status: 204, headers });
      }
      return errorResponse(
        context,
        new GatewayError('VALIDATION_ERROR', `${method} is not allowed on ${path}; use ${methods}.`, {
          status: 405,
        }),
        { Allow: `${methods}, OPTIONS` },
      );
    };

    if (path === '/v1/images/generations' || path === '/v1/inference/images/generate') {
      if (method !== 'POST') return allow('POST');
      const tenant = await authenticate(context);
      return generate(context, tenant);
    }
    if (path === '/v1/models' || path.startsWith('/v1/models/')) {
      if (method !== 'GET') return allow('GET');
      const tenant = await authenticate(context);
      if (path === '/v1/models') return listModels(context, tenant);
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/v1/models/'.length));
      } catch {
        id = '';
      }
      return listModels(context, tenant, id);
    }
    if (path === '/openapi.json') {
      if (method !== 'GET' && method !== 'HEAD') return allow('GET, HEAD');
      openApiBody ??= JSON.stringify(
        buildOpenApiDocument({ pathPrefix: prefix, extraRoutes: options.extraRouteDocs ?? [] }),
      );
      return json(context, 200, JSON.parse(openApiBody));
    }
    if (path.startsWith('/v1/media/')) {
      if (method !== 'GET' && method !== 'HEAD') return allow('GET, HEAD');
      const token = path.slice('/v1/media/'.length);
      // The token is the credential. A caller that also presents a key is held to its own tenant.
      let tenantId: string | undefined;
      if (options.authenticate && hasCredentials(request)) tenantId = (await authenticate(context)).tenantId;
      const response = await media.handle(request, token, tenantId === undefined ? {} : { tenantId });
      const headers = new Headers(response.headers);
      headers.set('x-request-id', context.requestId);
      cors?.apply(request, headers);
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }
    if (preflight && cors) return withRequestId(cors.preflight(request, 'GET, HEAD, POST, OPTIONS'), context);
    return errorResponse(
      context,
      new GatewayError('NOT_FOUND', `Unknown route: ${method} ${prefix}${path}.`, { status: 404 }),
    );
  };

  return async (request: Request): Promise<Response> => {
    let pathname = '';
    try {
      pathname = new URL(request.url).pathname;
    } catch {
      pathname = '';
    }
    const inPrefix = prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`);
    const path = inPrefix ? pathname.slice(prefix.length) : pathname;
    const context: RequestContext = {
      requestId: issueRequestId(request),
      style: inPrefix && path.startsWith('/v1/inference/') ? 'native' : 'openai',
      request,
    };
    inFlight.set(context.requestId, context);
    try {
      if (!inPrefix) {
        return errorResponse(
          context,
          new GatewayError('NOT_FOUND', `Unknown route: ${request.method} ${pathname}.`, { status: 404 }),
        );
      }
      return await route(request, context, path);
    } catch (error) {
      const extra =
        GatewayError.isInstance(error) && error.code === 'AUTHENTICATION_ERROR'
          ? { 'WWW-Authenticate': wwwAuthenticate(request) }
          : undefined;
      return errorResponse(context, error, extra);
    } finally {
      inFlight.delete(context.requestId);
    }
  };
}

const EMPTY = new Uint8Array(0);
const BASE64_MARKER = `pixelgate-b64-${randomUUID()}-`;

/**
 * Serializes a generation body as byte chunks, splicing each `data[].b64_json` string in as its
 * own chunk instead of running megabytes of base64 through JSON.stringify and a UTF-8 encoder:
 * base64 needs no JSON escaping and is ASCII, so a latin1 copy is byte-exact. For n=4 large
 * images this saves two full passes over ~13 MB per response.
 */
function encodeWithInlineBase64(payload: Record<string, unknown>): { chunks: Uint8Array[]; length: number } {
  const images: string[] = [];
  const data = Array.isArray(payload.data)
    ? payload.data.map((entry: Record<string, unknown>) => {
        if (typeof entry?.b64_json !== 'string') return entry;
        images.push(entry.b64_json);
        return { ...entry, b64_json: `${BASE64_MARKER}${images.length - 1}` };
      })
    : payload.data;
  let rest = JSON.stringify({ ...payload, data });
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < images.length; index++) {
    const marker = `${BASE64_MARKER}${index}"`;
    const at = rest.indexOf(marker);
    chunks.push(Buffer.from(rest.slice(0, at), 'utf8'), Buffer.from(images[index]!, 'latin1'));
    rest = rest.slice(at + marker.length - 1);
  }
  chunks.push(Buffer.from(rest, 'utf8'));
  return { chunks, length: chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) };
}

function withRequestId(response: Response, context: RequestContext): Response {
  response.headers.set('x-request-id', context.requestId);
  return response;
}

/** Rate-limit headers from a RATE_LIMITED error's details, when the decisions themselves are not at hand. */
function rateLimitHeadersFromError(error: GatewayError): Record<string, string> {
  if (error.code !== 'RATE_LIMITED' || !error.details) return {};
  const { limit, remaining, reset_ms: resetMs, unit } = error.details as Record<string, unknown>;
  if (typeof limit !== 'number' || typeof remaining !== 'number' || typeof resetMs !== 'number') return {};
  return rateLimitHeaders([
    { allowed: false, limit, remaining, resetMs, unit: unit === 'images' ? 'images' : 'requests' },
  ]);
}

/**
 * The native route names models by `provider/model`, so a request is never routed by an alias
 * that might later point elsewhere. An unqualified name gets a message with the qualified id.
 */
function checkQualifiedModel(gateway: Gateway, model: unknown): void {
  if (typeof model !== 'string' || model.includes('/')) return;
  let suggestion = '';
  try {
    suggestion = ` such as '${qualifiedModelId(gateway.registry.resolve(model).model)}'`;
  } catch {
    suggestion = '';
  }
  throw new GatewayError(
    'VALIDATION_ERROR',
    `The native route takes provider-qualified model ids (provider/model)${suggestion}; GET /v1/models lists them.`,
    {
      param: 'model',
    },
  );
}

function findByName(models: ModelDescriptor[], name: string): ModelDescriptor | undefined {
  const matches = models.filter((model) => model.id === name || model.aliases.includes(name));
  return matches.length === 1 ? matches[0] : undefined;
}

/** One model in OpenAI's list shape, with pixelgate's facts under `pixelgate`. */
function toModelObject(model: ModelDescriptor): Record<string, unknown> {
  return {
    id: qualifiedModelId(model),
    object: 'model',
    // Catalogs carry no creation date; 0 says "unknown" rather than inventing one.
    created: 0,
    owned_by: model.provider,
    pixelgate: {
      provider: model.provider,
      model: model.id,
      aliases: model.aliases,
      ...(model.displayName ? { display_name: model.displayName } : {}),
      ...(model.description ? { description: model.description } : {}),
      capabilities: model.capabilities,
      defaults: model.defaults,
      lifecycle: model.lifecycle,
      ...(model.pricing ? { pricing: model.pricing } : {}),
    },
  };
}

function makeUrlsAbsolute(result: GenerationResult, base: string): void {
  for (const entry of result.data) if (entry.url?.startsWith('/')) entry.url = `${base}${entry.url}`;
  for (const image of result.images) if (image.url?.startsWith('/')) image.url = `${base}${image.url}`;
}

/** The native success body: OpenAI's `created`/`data` plus what pixelgate knows about the request. */
function toNativeResponse(result: GenerationResult, metadata: unknown): Record<string, unknown> {
  return {
    request_id: result.requestId,
    created: result.created,
    model: result.model,
    provider: result.provider,
    data: result.images.map((image, index) => {
      const delivered = result.data[index] ?? {};
      return {
        ...(delivered.b64_json === undefined ? {} : { b64_json: delivered.b64_json }),
        ...(delivered.url === undefined ? {} : { url: delivered.url }),
        ...(image.urlExpiresAt === undefined
          ? {}
          : { url_expires_at: new Date(image.urlExpiresAt).toISOString() }),
        ...(image.revisedPrompt === undefined ? {} : { revised_prompt: image.revisedPrompt }),
        media_type: image.mediaType,
        ...(image.width === undefined ? {} : { width: image.width }),
        ...(image.height === undefined ? {} : { height: image.height }),
        ...(image.seed === undefined ? {} : { seed: image.seed }),
        sha256: image.sha256,
        size_bytes: image.sizeBytes,
        labels: image.labels,
      };
    }),
    warnings: result.warnings,
    labels: result.labels,
    cost: {
      ...(result.cost.estimatedUsd === undefined ? {} : { estimated_usd: result.cost.estimatedUsd }),
      ...(result.cost.actualUsd === undefined ? {} : { actual_usd: result.cost.actualUsd }),
      basis: result.cost.basis,
    },
    ...(result.usage ? { usage: result.usage } : {}),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { hasCredentials } from './api-key-authenticator.ts';
import type { ExchangeHandler, HttpExchange, HttpReply } from './http-exchange.ts';
import { wwwAuthenticate } from './middleware/authenticate.ts';
import { createRequestIdIssuer } from './middleware/request-id.ts';
import { errorReply, reply } from './replies.ts';
import type { HttpParts, Route, RouteContext } from './route.ts';
import { runOperation } from './run-operation.ts';

/** Paths of image operations: every request to one (but a CORS preflight) is audited, even unknown ones. */
const IMAGE_PATHS = ['/v1/images/', '/v1/inference/images/'];

/** The path below the prefix, when the request is under it. */
function underPrefix(prefix: string, pathname: string): string | undefined {
  if (prefix === '') return pathname;
  if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return pathname.slice(prefix.length);
  return undefined;
}

function isPreflight(exchange: HttpExchange): boolean {
  return exchange.method === 'OPTIONS' && exchange.headers.has('access-control-request-method');
}

/**
 * Whether this request asks for images and so must leave one audit record whatever happens:
 * requests to an audited route, and to any other path of the image families (`/v1/images/edits`
 * before that route exists, for instance). OPTIONS is a browser's question about the route, not
 * a request for images.
 */
function isAudited(route: Route | undefined, path: string | undefined, method: string): boolean {
  if (method === 'OPTIONS' || path === undefined) return false;
  return route ? route.audited : IMAGE_PATHS.some((family) => path.startsWith(family));
}

/** The CORS preflight answer: the policy's headers and the request id, nothing else. */
function preflightReply(parts: HttpParts, context: RouteContext, methods: string): HttpReply {
  const headers = parts.cors!.preflightHeaders(context.exchange.headers, methods);
  return { status: 204, headers: { ...headers, 'x-request-id': context.requestId } };
}

/**
 * Audits a request refused before the gateway ran, through the gateway itself, so the record is
 * the same shape as every other refusal. The caller is identified when its credentials allow
 * (a wrong method with a good key is still attributed), never failing the refusal over it.
 * @returns the error to answer: the refusal, or what auditing it raised (a closed gateway).
 */
async function auditRefusal(parts: HttpParts, context: RouteContext, error: GatewayError): Promise<unknown> {
  const tenant =
    context.tenant ??
    (context.authenticationTried
      ? undefined
      : await parts.authenticate(context.exchange).catch(() => undefined));
  try {
    await runOperation(parts.gateway, context.operation, context.body, {
      ...(tenant ? { tenant } : {}),
      source: context.style === 'native' ? 'http:native' : 'http:openai',
      requestId: context.requestId,
      refusedWith: error,
    });
  } catch (thrown) {
    return thrown;
  }
  return error;
}

/** Answers a failed request: audited first when it is a request for images the gateway never saw. */
async function refuse(
  parts: HttpParts,
  context: RouteContext,
  thrown: unknown,
  audited: boolean,
  extra: Record<string, string> = {},
): Promise<HttpReply> {
  const error =
    audited && !context.handedToGateway ? await auditRefusal(parts, context, toGatewayError(thrown)) : thrown;
  if (GatewayError.isInstance(error) && error.code === 'AUTHENTICATION_ERROR') {
    extra['www-authenticate'] = wwwAuthenticate(context.exchange);
  }
  return errorReply(context, error, parts.logger, extra);
}

/** Finds what answers a request: a route, its method, its caller; throws a GatewayError otherwise. */
async function dispatch(
  parts: HttpParts,
  context: RouteContext,
  route: Route | undefined,
): Promise<HttpReply> {
  const { exchange } = context;
  const method = exchange.method;
  if (!route) {
    if (isPreflight(exchange) && parts.cors)
      return preflightReply(parts, context, 'GET, HEAD, POST, OPTIONS');
    throw new GatewayError('NOT_FOUND', `Unknown route: ${method} ${parts.prefix}${context.path}.`, {
      status: 404,
    });
  }
  if (!route.methods.includes(method)) {
    const methods = route.methods.join(', ');
    const allow = `${methods}, OPTIONS`;
    if (isPreflight(exchange) && parts.cors) return preflightReply(parts, context, allow);
    if (method === 'OPTIONS') return reply(context, 204, { allow });
    const error = new GatewayError(
      'VALIDATION_ERROR',
      `${method} is not allowed on ${context.path}; use ${methods}.`,
      {
        status: 405,
      },
    );
    return refuse(parts, context, error, route.audited, { allow });
  }
  if (route.authentication === 'required' || (parts.checksPresentedKeys && hasCredentials(exchange))) {
    context.authenticationTried = true;
    context.tenant = await parts.authenticate(exchange);
  }
  return route.handle(context);
}

/**
 * The router: strips the prefix, issues the request id, applies CORS, finds the route, checks the
 * method, authenticates, runs the route, and turns every failure into the envelope of the route
 * family. Requests for images that fail before reaching the gateway are audited here, so each
 * leaves exactly one record. Never throws.
 */
export function createRouter(parts: HttpParts, routes: readonly Route[]): ExchangeHandler {
  const requestIds = createRequestIdIssuer(parts.ids, parts.acceptRequestId);
  return async (exchange) => {
    const path = underPrefix(parts.prefix, exchange.pathname);
    const route = path === undefined ? undefined : routes.find((candidate) => candidate.matches(path));
    const requestId = requestIds.issue(exchange);
    const context: RouteContext = {
      requestId,
      style: route?.style ?? (path?.startsWith('/v1/inference/') ? 'native' : 'openai'),
      baseHeaders: { 'x-request-id': requestId, ...parts.cors?.responseHeaders(exchange.headers) },
      exchange,
      path: path ?? exchange.pathname,
      operation: route?.operation ?? 'generate',
      handedToGateway: false,
    };
    try {
      if (path === undefined) {
        throw new GatewayError('NOT_FOUND', `Unknown route: ${exchange.method} ${exchange.pathname}.`, {
          status: 404,
        });
      }
      return await dispatch(parts, context, route);
    } catch (error) {
      return await refuse(parts, context, error, isAudited(route, path, exchange.method));
    } finally {
      requestIds.release(requestId);
    }
  };
}

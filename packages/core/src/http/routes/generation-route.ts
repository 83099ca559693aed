import type { GenerationResult } from '../../pipeline/generation-result.ts';
import type { Operation } from '../../pipeline/request-context.ts';
import type { GenerateOptions } from '../../pipeline/runner.ts';
import { generationReply, makeUrlsAbsolute } from '../generation-reply.ts';
import type { HttpExchange, HttpReply } from '../http-exchange.ts';
import { imageStreamReply } from '../image-stream-reply.ts';
import { readJsonObjectBody } from '../middleware/json-body.ts';
import type { EnvelopeStyle } from '../replies.ts';
import type { HttpParts, Route, RouteContext } from '../route.ts';
import { runOperation } from '../run-operation.ts';

/** What distinguishes one image route from another. */
export interface GenerationRouteSpec {
  name: string;
  path: string;
  style: EnvelopeStyle;
  /** The gateway operation the route runs (default `generate`). */
  operation?: Operation;
  /** The `source` of the audit record (`http:openai`, `http:native`). */
  source: string;
  /** Reads the request object (default: a JSON body up to `maxBodyBytes`); sets `context.body`. */
  read?: (context: RouteContext) => Promise<Record<string, unknown>>;
  /** Checks the route adds before the gateway runs (throws a GatewayError). */
  check?: (body: Record<string, unknown>) => void;
  /** The success body. */
  render: (result: GenerationResult, body: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * The origin media links are made absolute with: the one the client used, unless the gateway has
 * a configured `media.publicBaseUrl` (then links already carry it).
 */
function absoluteBase(parts: HttpParts, exchange: HttpExchange): string | undefined {
  if (parts.gateway.config.media.publicBaseUrl) return undefined;
  try {
    return new URL(exchange.url).origin;
  } catch {
    return undefined;
  }
}

/**
 * A streamed request (`stream: true` on generations and edits): the gateway validates, checks
 * access, runs the guardrails and reserves the budget before the first event, so a refusal is
 * thrown here and answered as JSON; after that the events stream (see `imageStreamReply`).
 */
function streamedReply(
  parts: HttpParts,
  context: RouteContext,
  operation: 'generate' | 'edit',
  body: Record<string, unknown>,
  options: GenerateOptions,
  base: string | undefined,
): Promise<HttpReply> {
  const events = parts.gateway.stream(operation, body, options);
  return imageStreamReply(
    context,
    {
      eventPrefix: operation === 'edit' ? 'image_edit' : 'image_generation',
      body,
      now: () => Math.floor(parts.gateway.clock.now() / 1000),
      logger: parts.logger,
      ...(base ? { prepare: (result: GenerationResult) => makeUrlsAbsolute(result, base) } : {}),
    },
    events,
  );
}

/**
 * A POST route that reads its body, runs the gateway operation and answers the rendered result,
 * or, for `stream: true` on generations and edits, the events of the request.
 */
export function createGenerationRoute(parts: HttpParts, spec: GenerationRouteSpec): Route {
  const operation = spec.operation ?? 'generate';
  return {
    name: spec.name,
    matches: (path) => path === spec.path,
    methods: ['POST'],
    style: spec.style,
    operation,
    authentication: 'required',
    audited: true,
    async handle(context) {
      const body = spec.read
        ? await spec.read(context)
        : await readJsonObjectBody(context.exchange, parts.maxBodyBytes);
      context.body = body;
      spec.check?.(body);
      const base = absoluteBase(parts, context.exchange);
      const options: GenerateOptions = {
        ...(context.tenant ? { tenant: context.tenant } : {}),
        signal: context.exchange.signal,
        source: spec.source,
        requestId: context.requestId,
        ...(base ? { publicBaseUrl: base } : {}),
      };
      // From here on the gateway writes the audit record, whatever happens.
      context.handedToGateway = true;
      if (body.stream === true && operation !== 'variation') {
        return streamedReply(parts, context, operation, body, options, base);
      }
      const result = await runOperation(parts.gateway, operation, body, options);
      if (base) makeUrlsAbsolute(result, base);
      return generationReply(context, result, spec.render(result, body));
    },
  };
}

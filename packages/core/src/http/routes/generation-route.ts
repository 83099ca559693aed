import type { GenerationResult } from '../../pipeline/generation-result.ts';
import { generationReply, makeUrlsAbsolute } from '../generation-reply.ts';
import type { HttpExchange } from '../http-exchange.ts';
import { readJsonObjectBody } from '../middleware/json-body.ts';
import type { EnvelopeStyle } from '../replies.ts';
import type { HttpParts, Route } from '../route.ts';

/** What distinguishes one generation route from another. */
export interface GenerationRouteSpec {
  name: string;
  path: string;
  style: EnvelopeStyle;
  /** The `source` of the audit record (`http:openai`, `http:native`). */
  source: string;
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

/** A POST route that reads a JSON body, runs the gateway and answers the rendered result. */
export function createGenerationRoute(parts: HttpParts, spec: GenerationRouteSpec): Route {
  return {
    name: spec.name,
    matches: (path) => path === spec.path,
    methods: ['POST'],
    style: spec.style,
    authentication: 'required',
    audited: true,
    async handle(context) {
      const body = await readJsonObjectBody(context.exchange, parts.maxBodyBytes);
      context.body = body;
      spec.check?.(body);
      const base = absoluteBase(parts, context.exchange);
      // From here on the gateway writes the audit record, whatever happens.
      context.handedToGateway = true;
      const result = await parts.gateway.generate(body, {
        ...(context.tenant ? { tenant: context.tenant } : {}),
        signal: context.exchange.signal,
        source: spec.source,
        requestId: context.requestId,
        ...(base ? { publicBaseUrl: base } : {}),
      });
      if (base) makeUrlsAbsolute(result, base);
      return generationReply(context, result, spec.render(result, body));
    },
  };
}

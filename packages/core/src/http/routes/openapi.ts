import { buildOpenApiDocument } from '../../openapi/openapi-document.ts';
import { jsonReply } from '../replies.ts';
import type { HttpParts, Route } from '../route.ts';

/**
 * `GET {prefix}/openapi.json`: the OpenAPI 3.1 document of this server, built on the first
 * request (most servers are never asked for it) from the schemas that validate its requests.
 * It needs no key.
 */
export function openApiRoute(parts: HttpParts): Route {
  let document: Record<string, unknown> | undefined;
  return {
    name: 'openapi',
    matches: (path) => path === '/openapi.json',
    methods: ['GET', 'HEAD'],
    style: 'openai',
    authentication: 'if-presented',
    audited: false,
    async handle(context) {
      document ??= buildOpenApiDocument({ pathPrefix: parts.prefix, extraRoutes: [...parts.extraRouteDocs] });
      return jsonReply(context, 200, document);
    },
  };
}

import type { HttpReply } from '../http-exchange.ts';
import type { HttpParts, Route } from '../route.ts';

const PREFIX = '/v1/media/';

/** A media handler's `Response` as a reply carrying the request's own headers too. */
function toReply(response: Response, baseHeaders: Record<string, string>): HttpReply {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    status: response.status,
    ...(response.statusText ? { statusText: response.statusText } : {}),
    headers: { ...headers, ...baseHeaders },
    ...(response.body ? { body: response.body } : {}),
  };
}

/**
 * `GET|HEAD {prefix}/v1/media/{token}`: stored images; the opaque token is the credential, so
 * an `<img src>` works without an API key. A caller that does present a key is held to its own
 * tenant (another tenant's image is answered like a missing one).
 */
export function mediaRoute(parts: HttpParts): Route {
  return {
    name: 'media',
    matches: (path) => path.startsWith(PREFIX),
    methods: ['GET', 'HEAD'],
    style: 'openai',
    authentication: 'if-presented',
    audited: false,
    async handle(context) {
      const token = context.path.slice(PREFIX.length);
      const tenantId = context.tenant?.tenantId;
      const response = await parts.media.handle(
        context.exchange.toRequest(),
        token,
        tenantId === undefined ? {} : { tenantId },
      );
      return toReply(response, context.baseHeaders);
    },
  };
}

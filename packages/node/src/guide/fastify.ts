import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { toNodeHandler } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';
import Fastify from 'fastify';

/** Guide sample: pixelgate under /oai in a Fastify app (docs/http.md, "Fastify"). */
export async function createFastifyApp(keys: Array<{ id: string; hash: string; tenantId: string }>) {
  const gateway = createGateway({ providers: [createLocalProvider()], media: { pathPrefix: '/oai' } });
  const pixelgate = toNodeHandler(
    createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) }),
  );

  const app = Fastify();
  await app.register(
    async (scope) => {
      // pixelgate reads (and size-limits) the body itself: keep Fastify's parsers out of this scope.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      scope.all('/*', (request, reply) => {
        reply.hijack();
        pixelgate(request.raw, reply.raw);
      });
    },
    { prefix: '/oai' },
  );
  app.addHook('onClose', () => gateway.close());
  return app;
}

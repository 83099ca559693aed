import { createApiKeyAuthenticator, createHttpHandler, type Gateway } from '@pixelgate/core';
import { toNodeHandler } from '@pixelgate/node';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';

/** Options of {@link pixelgatePlugin}. */
export interface PixelgatePluginOptions {
  gateway: Gateway;
  /** API keys callers present as `Authorization: Bearer <key>`. */
  keys: Array<{ id: string; key: string; tenantId: string }>;
}

/**
 * pixelgate as a Fastify plugin: an encapsulated scope where Fastify's body parsers are switched
 * off (pixelgate reads, size-limits and validates its own body) and every route under the scope's
 * prefix is handed to the fetch-style handler. Register it with `{ prefix: '/v1' }`.
 */
export const pixelgatePlugin: FastifyPluginAsync<PixelgatePluginOptions> = async (
  scope,
  { gateway, keys },
) => {
  const handle = toNodeHandler(
    createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) }),
  );
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
  scope.all('/*', (request, reply) => {
    // The handler writes the response itself; tell Fastify to stay out of it.
    reply.hijack();
    handle(request.raw, reply.raw);
  });
};

/**
 * A Fastify 5 app with the pixelgate API under `/v1` and one of the app's own routes, with
 * Fastify's JSON schema validation, calling the gateway as a library.
 */
export async function createApp(options: PixelgatePluginOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(pixelgatePlugin, { ...options, prefix: '/v1' });

  app.get('/healthz', async () => ({ ok: true }));
  app.post<{ Body: { name: string } }>(
    '/avatars',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const result = await options.gateway.generate(
        { model: 'local/placeholder', prompt: `an avatar for ${request.body.name}`, size: '256x256' },
        { tenant: { tenantId: 'avatars' }, source: 'fastify:avatars' },
      );
      const image = result.images[0]!;
      return reply
        .type(image.mediaType)
        .header('x-request-id', result.requestId)
        .send(Buffer.from(image.bytes));
    },
  );
  app.addHook('onClose', () => options.gateway.close());
  return app;
}

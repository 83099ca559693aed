import { createApiKeyAuthenticator, createHttpHandler, type Gateway } from '@pixelgate/core';
import { Hono } from 'hono';

/** Options of {@link createApp}. */
export interface AppOptions {
  gateway: Gateway;
  /** API keys callers present as `Authorization: Bearer <key>`. */
  keys: Array<{ id: string; key: string; tenantId: string }>;
}

/**
 * A Hono app with pixelgate's API under `/v1`. Hono speaks fetch natively, so the handler is
 * called with the raw `Request` and its `Response` returned as is: no adapter, and the same app
 * runs on Node (see server.ts), Bun, Deno or a worker runtime.
 */
export function createApp({ gateway, keys }: AppOptions): Hono {
  const handler = createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) });
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.all('/v1/*', (c) => handler(c.req.raw));

  // One of the app's own routes on the gateway as a library: the image's sha256 and size only.
  app.post('/fingerprints', async (c) => {
    const body = await c.req.json<{ prompt?: unknown }>().catch(() => ({ prompt: undefined }));
    if (typeof body.prompt !== 'string' || body.prompt.length === 0)
      return c.json({ error: 'prompt is required' }, 400);
    const result = await gateway.generate(
      { model: 'local/placeholder', prompt: body.prompt, size: '256x256', seed: 1 },
      { tenant: { tenantId: 'fingerprints' }, source: 'hono:fingerprints', signal: c.req.raw.signal },
    );
    return c.json({
      requestId: result.requestId,
      images: result.images.map(({ sha256, width, height }) => ({ sha256, width, height })),
    });
  });
  return app;
}

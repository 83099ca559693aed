import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKeyAuthenticator, createHttpHandler, type Gateway, GatewayError } from '@pixelgate/core';
import { toNodeHandler } from '@pixelgate/node';
import express, { type Express } from 'express';

/** Options of {@link createApp}. */
export interface AppOptions {
  gateway: Gateway;
  /** API keys callers present as `Authorization: Bearer <key>`. */
  keys: Array<{ id: string; key: string; tenantId: string }>;
}

/**
 * An Express 5 app with pixelgate in it twice: the whole HTTP API mounted under `/v1` (OpenAI SDKs
 * point their baseURL here), and one of the app's own routes calling the gateway as a library.
 */
export function createApp({ gateway, keys }: AppOptions): Express {
  const app = express();
  const authenticate = createApiKeyAuthenticator({ keys });

  // pixelgate reads, size-limits and validates its own body: mount it before any body parser.
  app.use('/v1', toNodeHandler(createHttpHandler(gateway, { authenticate })));

  // The app's own routes, with their own parser.
  app.use(express.json({ limit: '16kb' }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // A product feature built on the gateway: a placeholder avatar for a user name, as PNG bytes.
  app.post('/avatars', async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    if (!name || name.length > 64) {
      res.status(400).json({ error: 'name must be 1-64 characters' });
      return;
    }
    try {
      const result = await gateway.generate(
        {
          model: 'local/placeholder',
          prompt: `an avatar for ${name}`,
          size: '256x256',
          response_format: 'b64_json',
        },
        { tenant: { tenantId: 'avatars' }, source: 'express:avatars' },
      );
      const image = result.images[0]!;
      res.type(image.mediaType).set('x-request-id', result.requestId).send(Buffer.from(image.bytes));
    } catch (error) {
      // Express 5 forwards rejected promises to the error handler; pixelgate errors carry their status.
      if (GatewayError.isInstance(error)) {
        res.status(error.status).json({ error: error.code, message: error.message });
        return;
      }
      throw error;
    }
  });
  return app;
}

/** Starts the app on `host:port` (port 0 picks a free one) and returns its URL and a `close`. */
export async function startServer(
  options: AppOptions & { port?: number; host?: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp(options);
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await options.gateway.close();
    },
  };
}

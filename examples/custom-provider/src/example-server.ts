import { createApiKeyAuthenticator, createGateway, createHttpHandler, type Gateway } from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createAcmeImagesProvider } from './acme-provider.ts';
import { type FakeAcmeServer, startFakeAcmeServer } from './testing/index.ts';

/** A running example: the pixelgate server, and the fake Acme server when running offline. */
export interface RunningExample {
  url: string;
  gateway: Gateway;
  /** Present when no real Acme endpoint is configured. */
  fake?: FakeAcmeServer;
  close(): Promise<void>;
}

/**
 * Serves the acme-images plugin through pixelgate's HTTP API. Offline by default (a fake Acme
 * server on 127.0.0.1); with ACME_API_KEY and ACME_BASE_URL set, the plugin talks to that endpoint
 * instead. Clients call it exactly as they would call OpenAI, with `model: "acme/acme-1"`.
 */
export async function startExample(
  options: { env?: Record<string, string | undefined>; port?: number; host?: string } = {},
): Promise<RunningExample> {
  const env = options.env ?? process.env;
  const real =
    env.ACME_API_KEY && env.ACME_BASE_URL
      ? { apiKey: env.ACME_API_KEY, baseURL: env.ACME_BASE_URL }
      : undefined;
  const fake = real ? undefined : await startFakeAcmeServer();
  const gateway = createGateway({
    providers: [createAcmeImagesProvider(real ?? { apiKey: fake!.apiKey, baseURL: fake!.url })],
    defaultModel: 'acme/acme-1',
  });
  const key = env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'example', key, tenantId: 'example' }] }),
  });
  const server = await listen(handler, { port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: server.url,
    gateway,
    ...(fake ? { fake } : {}),
    async close() {
      await server.close();
      await gateway.close();
      await fake?.close();
    },
  };
}

import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';

/** Guide sample: behind a TLS-terminating proxy (docs/http.md, "Behind a proxy"). */
export async function startBehindProxy(keys: Array<{ id: string; hash: string; tenantId: string }>) {
  const gateway = createGateway({
    providers: [createLocalProvider()],
    // Media URLs handed to clients use this origin, whatever Host the proxy forwards.
    media: { publicBaseUrl: 'https://images.example.com', pathPrefix: '/oai' },
  });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys }),
    maxBodyBytes: 64 * 1024, // prompts and metadata only; keep the proxy's own limit at least this large
    cors: { origins: ['https://app.example.com'] },
  });
  // trustProxy: build request URLs from X-Forwarded-Proto/Host (only when the proxy sets them itself).
  const server = await listen(handler, { port: 0, host: '127.0.0.1', trustProxy: true });
  return { gateway, server };
}

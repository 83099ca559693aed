import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';

/** Guide sample: a standalone node:http server with API keys (docs/http.md, "node:http"). */
export async function startStandaloneServer(options: { keySha256: string; port?: number }) {
  const gateway = createGateway({ providers: [createLocalProvider()] });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({
      // Store sha256(key) only: `node -e "console.log(require('crypto').createHash('sha256').update(process.argv[1]).digest('hex'))" <key>`
      keys: [{ id: 'team-a-key-1', hash: options.keySha256, tenantId: 'team-a' }],
    }),
  });
  const server = await listen(handler, { port: options.port ?? 8080, host: '127.0.0.1' });
  console.log(`pixelgate listening on ${server.url}`);
  return { gateway, server }; // later: await server.close(); await gateway.close();
}

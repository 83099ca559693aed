import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { toNodeHandler } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';
import express from 'express';

/** Guide sample: pixelgate mounted at /oai inside an existing Express app (docs/http.md, "Express"). */
export function createExpressApp(keys: Array<{ id: string; hash: string; tenantId: string }>) {
  // The prefix lives in the gateway configuration, because media URLs are built from it.
  const gateway = createGateway({ providers: [createLocalProvider()], media: { pathPrefix: '/oai' } });
  const pixelgate = toNodeHandler(
    createHttpHandler(gateway, { authenticate: createApiKeyAuthenticator({ keys }) }),
  );

  const app = express();
  app.use('/oai', pixelgate); // before body parsers is best; after express.json() works too
  app.use(express.json());
  app.get('/health', (_request, response) => {
    response.json({ ok: true });
  });
  return { app, gateway };
}

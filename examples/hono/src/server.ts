import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { createExampleGateway } from './gateway.ts';

const key = process.env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
if (!process.env.PIXELGATE_API_KEY)
  console.warn(`PIXELGATE_API_KEY is not set; using the example key "${key}"`);

const gateway = createExampleGateway();
const app = createApp({ gateway, keys: [{ id: 'example', key, tenantId: 'example' }] });
const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1' },
  (info) => {
    console.log(
      `Hono + pixelgate on http://${info.address}:${info.port} (OpenAI baseURL http://${info.address}:${info.port}/v1)`,
    );
  },
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => {
      gateway.close().then(() => process.exit(0));
    });
  });
}

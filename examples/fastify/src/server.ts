import { createApp } from './app.ts';
import { createExampleGateway } from './gateway.ts';

const key = process.env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
if (!process.env.PIXELGATE_API_KEY)
  console.warn(`PIXELGATE_API_KEY is not set; using the example key "${key}"`);

const app = await createApp({
  gateway: createExampleGateway(),
  keys: [{ id: 'example', key, tenantId: 'example' }],
});
const url = await app.listen({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`Fastify + pixelgate on ${url} (OpenAI baseURL ${url}/v1)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}

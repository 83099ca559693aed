import { startExample } from './example-server.ts';

const example = await startExample({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`pixelgate with the acme-images plugin on ${example.url} (OpenAI baseURL ${example.url}/v1)`);
console.log(
  example.fake
    ? `offline: fake Acme server on ${example.fake.url}`
    : `Acme endpoint: ${process.env.ACME_BASE_URL}`,
);
if (!process.env.PIXELGATE_API_KEY)
  console.log('API key: pg-example-key-change-me (set PIXELGATE_API_KEY to change it)');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    example.close().then(() => process.exit(0));
  });
}

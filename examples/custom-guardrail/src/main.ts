import { startExample } from './example-server.ts';

const example = await startExample({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
const key = process.env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
console.log(`pixelgate with the trademark guardrail on ${example.url}. Try:
  curl -s ${example.url}/v1/inference/images/generate -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\
    -d '{"prompt":"an Acme anvil","size":"256x256"}' | jq '{labels, warnings}'
  curl -s ${example.url}/v1/images/generations -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\
    -d '{"prompt":"the Initech office"}'`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    example.close().then(() => process.exit(0));
  });
}

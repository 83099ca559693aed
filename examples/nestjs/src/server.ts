import 'reflect-metadata';
import { createNestApp } from './app.ts';

const key = process.env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
if (!process.env.PIXELGATE_API_KEY)
  console.warn(`PIXELGATE_API_KEY is not set; using the example key "${key}"`);

const app = await createNestApp({ keys: [{ id: 'example', key, tenantId: 'example' }] });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', 'localhost');
console.log(`NestJS + pixelgate on ${url} (OpenAI baseURL ${url}/v1)`);

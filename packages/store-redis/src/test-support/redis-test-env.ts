import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The real Redis the tests use (`PIXELGATE_TEST_REDIS_URL`); the suites skip without it. */
export const redisTestUrl = process.env.PIXELGATE_TEST_REDIS_URL;

/** The line printed once when the suites are skipped. */
export const REDIS_SKIP_NOTICE =
  'store-redis: Redis suites skipped; set PIXELGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 to run them against a real Redis.';

/** A key prefix no other test run uses. */
export function testPrefix(): string {
  return `pixelgate-test:${randomUUID().slice(0, 12)}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS), so runs never see each other's data. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

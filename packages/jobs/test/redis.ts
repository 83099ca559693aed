import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis for tests (PIXELGATE_TEST_REDIS_URL); undefined skips the Redis suites. */
export const REDIS_URL = process.env.PIXELGATE_TEST_REDIS_URL;
if (!REDIS_URL) {
  console.log('jobs: Redis suites skipped; set PIXELGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 to run them');
}

/** A connection and a key prefix of the test's own, removed with every key under it afterwards. */
export interface TestRedis {
  redis: Redis;
  prefix: string;
  cleanup(): Promise<void>;
}

export function connectTestRedis(): TestRedis {
  const redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: null, lazyConnect: false });
  const prefix = `pgtest:${randomUUID().slice(0, 8)}:`;
  return {
    redis,
    prefix,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

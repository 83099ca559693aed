import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasRedisServer, PrivateRedis } from './private-redis.ts';
import { createRedisStores, type RedisStores } from './redis-stores.ts';
import { redisTestUrl } from './test-support/redis-test-env.ts';

/** A password that must never show in a readiness answer. */
const PASSWORD = 'hunter2-readiness-secret';

describe.skipIf(!redisTestUrl)('check() of the Redis stores (readiness)', async () => {
  const available = await hasRedisServer();
  let server: PrivateRedis;
  let stores: RedisStores;

  beforeAll(async () => {
    if (!available) return;
    server = new PrivateRedis(await freePort());
    await server.start();
    stores = createRedisStores({ url: server.url, commandTimeoutMs: 500 });
  });
  afterAll(async () => {
    if (!available) return;
    stores.budgetStore.client.disconnect();
    await server.stop();
  });

  it.runIf(available)(
    'answers while Redis is up, fails fast while it is down, answers again after',
    async () => {
      await expect(stores.budgetStore.check()).resolves.toBeUndefined();
      await expect(stores.rateLimitStore.check()).resolves.toBeUndefined();

      await server.stop();
      const started = Date.now();
      const down = await stores.budgetStore.check().catch((error: unknown) => error as Error);
      expect(down).toBeInstanceOf(Error);
      expect((down as Error).message).toMatch(/^Redis (is not connected|did not answer PING)/);
      expect((down as Error).message).not.toContain(String(server.port));
      await expect(stores.rateLimitStore.check()).rejects.toThrow(/Redis/);
      // Bounded by the command timeout (500 ms here), not by a reconnect that never comes.
      expect(Date.now() - started).toBeLessThan(1_500);

      await server.start();
      await expect
        .poll(
          () =>
            stores.budgetStore.check().then(
              () => 'up',
              (error: Error) => error.message,
            ),
          {
            timeout: 10_000,
            interval: 100,
          },
        )
        .toBe('up');
    },
  );

  it('never puts the URL or its password in the error', async () => {
    const port = await freePort();
    const unreachable = createRedisStores({
      url: `redis://:${PASSWORD}@127.0.0.1:${port}`,
      commandTimeoutMs: 300,
    });
    try {
      const error = (await unreachable.budgetStore.check().catch((caught: unknown) => caught)) as Error;
      expect(error.message).toMatch(/Redis/);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain(`redis://`);
    } finally {
      unreachable.budgetStore.client.disconnect();
    }
  });
});

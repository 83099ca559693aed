import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAuditSigningKey } from '@pixelgate/core/audit';
import { createMockImageProvider } from '@pixelgate/core/testing';
import { freePort, hasRedisServer, PrivateRedis } from '@pixelgate/store-redis/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../commands/serve.ts';
import { parseCliConfig } from '../config.ts';
import { memoryIo, tempDir } from '../test-support.ts';
import { withoutCredentials } from './health.ts';

const redisUrl = process.env.PIXELGATE_TEST_REDIS_URL;
const postgresUrl = process.env.PIXELGATE_TEST_POSTGRES_URL;

describe('withoutCredentials', () => {
  it('masks the user and password of every URL in a failure detail', () => {
    expect(
      withoutCredentials('connect to redis://:s3cret@10.0.0.1:6379 and postgres://app:pw@db/x failed'),
    ).toBe('connect to redis://***@10.0.0.1:6379 and postgres://***@db/x failed');
    expect(withoutCredentials('connect ECONNREFUSED 127.0.0.1:6379')).toBe(
      'connect ECONNREFUSED 127.0.0.1:6379',
    );
  });
});

describe.skipIf(!redisUrl || !postgresUrl)('/readyz with Redis and PostgreSQL stores', async () => {
  const available = await hasRedisServer();
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let redis: PrivateRedis | undefined;
  let server: RunningServer | undefined;
  const schema = `readyz_${randomBytes(6).toString('hex')}`;

  beforeEach(async () => {
    temp = await tempDir();
  });
  afterEach(async () => {
    await server?.close();
    await redis?.stop();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await temp.remove();
  });

  it.runIf(available)(
    'is 503 naming the Redis stores while Redis is down, and 200 once it is back',
    async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
      await writeFile(join(temp.dir, 'audit.pem'), generateAuditSigningKey().privateKeyPem);
      const config = parseCliConfig({
        providers: { local: false },
        redis: { url: redis.url },
        postgres: { url: postgresUrl, schema },
        auditLog: { signingKeyFile: 'audit.pem' },
        mediaSigningKeys: [{ id: 'k1', secret: 'z'.repeat(40) }],
      });
      const memory = memoryIo(temp.dir, {});
      server = await startServer({ port: 0 }, config, memory.io, { providers: [createMockImageProvider()] });
      const readyz = async () => {
        const response = await fetch(`${server?.url}/readyz`);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      const ready = await readyz();
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ready',
        checks: { budgetStore: { ok: true }, rateLimitStore: { ok: true }, auditSink: { ok: true } },
      });

      await redis.stop();
      const started = Date.now();
      const down = await readyz();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'not ready',
        failing: ['budgetStore', 'rateLimitStore'],
        checks: { budgetStore: { ok: false }, auditSink: { ok: true }, providers: { ok: true } },
      });
      const detail = (down.body.checks as Record<string, { detail?: string }>).budgetStore?.detail;
      expect(detail).toMatch(/^Redis (is not connected|did not answer PING)/);
      expect(JSON.stringify(down.body)).not.toContain('redis://');

      await redis.start();
      await expect.poll(async () => (await readyz()).status, { timeout: 10_000, interval: 100 }).toBe(200);
    },
  );
});

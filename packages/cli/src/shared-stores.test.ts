import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAuditSigningKey } from '@pixelgate/core/audit';
import { createRedisStores } from '@pixelgate/store-redis';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.ts';
import { memoryIo, tempDir } from './test-support.ts';

const redisUrl = process.env.PIXELGATE_TEST_REDIS_URL;
const postgresUrl = process.env.PIXELGATE_TEST_POSTGRES_URL;

let temp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(() => temp.remove());

async function run(argv: string[]) {
  const memory = memoryIo(temp.dir, {});
  const code = await main(argv, memory.io);
  return { code, stdout: memory.stdout(), stderr: memory.stderr() };
}
const config = (value: unknown) => writeFile(join(temp.dir, 'shared.json'), JSON.stringify(value));

describe('serve with shared stores: refusals', () => {
  it('refuses redis/postgres with a per-process random media key', async () => {
    await config({ redis: { url: 'redis://127.0.0.1:1' } });
    const result = await run(['serve', '--port', '0', '-c', 'shared.json']);
    expect(result.code).toBe(2);
    expect(result.stderr.replace(/^pixelgate: no API keys.*\n/, '')).toMatch(
      /^pixelgate: redis\/postgres make this a shared deployment: set mediaSigningKeys/,
    );
  });

  it('refuses postgres without the shared audit signing key', async () => {
    await config({
      postgres: { url: 'postgres://postgres@127.0.0.1:1/test' },
      mediaSigningKeys: [{ id: 'k1', secret: 'x'.repeat(40) }],
    });
    const result = await run(['serve', '--port', '0', '-c', 'shared.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('postgres needs auditLog.signingKeyFile');
  });

  it('refuses a malformed store URL in the config file', async () => {
    await config({ redis: { url: 'http://127.0.0.1:6379' } });
    const result = await run(['serve', '-c', 'shared.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/redis\.url: a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe.skipIf(!redisUrl || !postgresUrl)(
  'serve, db, audit and budget commands on Redis and PostgreSQL',
  () => {
    const schema = `clitest_${randomBytes(6).toString('hex')}`;
    const prefix = `clitest-${randomBytes(4).toString('hex')}:`;
    afterEach(async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      const redis = createRedisStores({ url: redisUrl! });
      const keys = await redis.budgetStore.client.keys(`${prefix}*`);
      if (keys.length) await redis.budgetStore.client.unlink(...keys);
      await redis.close();
    });

    it('migrates, serves through the shared stores, verifies, exports and reconciles', async () => {
      const key = generateAuditSigningKey();
      await writeFile(join(temp.dir, 'audit.pem'), key.privateKeyPem);
      await writeFile(join(temp.dir, 'audit.pub.pem'), key.publicKeyPem);
      await config({
        redis: { url: redisUrl, prefix },
        postgres: { url: postgresUrl, schema, migrate: false },
        auditLog: { signingKeyFile: 'audit.pem' },
        mediaSigningKeys: [{ id: 'k1', secret: 'y'.repeat(40) }],
        budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 5 }] },
        rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 100 }] },
      });
      const migrated = await run(['db', 'migrate', '-c', 'shared.json']);
      expect(migrated.stdout).toBe(`applied migrations 1, 2 to schema ${schema}; now at 2\n`);
      expect((await run(['db', 'migrate', '-c', 'shared.json'])).stdout).toContain('is up to date');

      const memory = memoryIo(temp.dir, {});
      const controller = new AbortController();
      const exit = main(['serve', '--port', '0', '-c', 'shared.json'], memory.io, {
        shutdown: () => controller.signal,
      });
      const [, url] = await memory.waitForStdout(/listening on (http:\/\/[^\s"]+)/);
      for (let index = 0; index < 2; index++) {
        const response = await fetch(`${url}/v1/images/generations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256' }),
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(String(99 - index));
      }
      controller.abort();
      expect(await exit).toBe(0);

      const verified = await run([
        'audit',
        'verify',
        '--postgres',
        postgresUrl!,
        '--public-key',
        'audit.pub.pem',
        '-c',
        'shared.json',
      ]);
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(/^OK: 2 records, 1 signed checkpoints/);
      const exported = await run([
        'audit',
        'export',
        '-c',
        'shared.json',
        '--public-key',
        'audit.pub.pem',
        '--from',
        '2000-01-01',
        '--to',
        '2100-01-01',
        '--out',
        'bundle',
      ]);
      expect(exported.code).toBe(0);
      // records, summary, page, the chain stretch and the manifest, and the public key.
      expect(exported.stdout).toContain('wrote 6 files to bundle');
      const bundle = await run(['audit', 'verify', 'bundle']);
      expect(bundle.code, bundle.stdout + bundle.stderr).toBe(0);
      const reconciled = await run(['budget', 'reconcile', '-c', 'shared.json']);
      expect(reconciled.stdout).toBe('1 budget buckets compared; 0 differ\n');
      expect(reconciled.code).toBe(0);
      const unkeyed = await run(['audit', 'verify', '-c', 'shared.json']);
      expect(unkeyed.code).toBe(2);
      expect(unkeyed.stderr).toContain('--public-key <file> is required with --postgres');
    });
  },
);

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditSigningKey } from '@pixelgate/core/audit';
import {
  FAKE_OPENAI_API_KEY,
  type FakeOpenAIScenario,
  startFakeOpenAIServer,
} from '@pixelgate/provider-openai/testing';
import { createRedisBudgetStore, type RedisBudgetStore } from '@pixelgate/store-redis';
import { freePort, hasRedisServer, PrivateRedis } from '@pixelgate/store-redis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileSpend } from './reconcile-spend.ts';
import { dropSchema, postgresTestUrl, testSchema } from './test-support/postgres-test-env.ts';
import {
  type Answer,
  byStatus,
  killReplica,
  type Replica,
  runLoad,
  startReplica,
  stopReplica,
} from './test-support/proof-cluster.ts';
import { verifyPostgresAuditLog } from './verify-postgres-audit-log.ts';

const postgresUrl = postgresTestUrl ?? '';
const enabled = Boolean(postgresTestUrl && process.env.PIXELGATE_TEST_REDIS_URL) && (await hasRedisServer());

const PRICE = 0.009; // gpt-image-1.5, low quality, 1024x1024
const BUDGET_USD = 4.5; // 500 images per tenant
const REQUESTS_PER_WINDOW = 700;
const LEASE_MS = 3000;
const TIMEOUT_MS = 1500;
const tenants = ['stage-a', 'stage-b', 'stage-c'].map((tenantId) => ({
  tenantId,
  key: `pk-${tenantId}-${randomBytes(12).toString('hex')}`,
}));
const micros = (usd: number) => Math.round(usd * 1_000_000);

/** Upstream faults, in the order upstream calls meet them: 500s, garbage bodies, hangs past the deadline. */
function faults(count: number): FakeOpenAIScenario[] {
  return Array.from({ length: count }, (_, index): FakeOpenAIScenario => {
    if (index % 10 === 3) return { type: 'server_error' };
    if (index % 20 === 7) return { type: 'garbage' };
    if (index % 33 === 5) return { type: 'slow', delayMs: TIMEOUT_MS * 3 };
    return { type: 'success' };
  });
}

/**
 * The scale-out proof: three gateway processes share one Redis (budgets, rate limits) and one
 * PostgreSQL (the audit log), take concurrent HTTP traffic with upstream faults, lose a replica
 * to SIGKILL and Redis to a crash, and still never overspend, never let more requests through
 * than the limit, and keep exactly one verifiable audit record per request.
 */
describe.skipIf(!enabled)(
  'scale-out proof: three gateway processes, one Redis, one PostgreSQL',
  { timeout: 90_000 },
  () => {
    let redis: PrivateRedis;
    let redisDir: string;
    let upstream: Awaited<ReturnType<typeof startFakeOpenAIServer>>;
    let replicas: Replica[] = [];
    let budget: RedisBudgetStore;
    const schema = testSchema();
    const prefix = `proof-${randomBytes(4).toString('hex')}:`;
    const key = generateAuditSigningKey();
    const answers: Record<string, Answer[]> = {};

    const recordsOf = async (like: string): Promise<Map<string, number>> => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ request_id: string; n: string }>(
          `SELECT request_id, count(*) AS n FROM "${schema}".audit_records WHERE request_id LIKE $1 GROUP BY request_id`,
          [like],
        );
        return new Map(rows.map((row) => [row.request_id, Number(row.n)]));
      } finally {
        await client.end();
      }
    };
    /** Settled cost and rows in the spend ledger for request ids matching `like`. */
    const ledgerOf = async (like: string): Promise<{ micros: number; rows: number }> => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ micros: string | null; n: string }>(
          `SELECT sum(cost_micros) AS micros, count(*) AS n FROM "${schema}".spend_ledger WHERE request_id LIKE $1`,
          [like],
        );
        return { micros: Number(rows[0]?.micros ?? 0), rows: Number(rows[0]?.n ?? 0) };
      } finally {
        await client.end();
      }
    };
    const bucket = (tenantId: string) => `budget:tenant:${tenantId}:total:total`;
    const snapshot = (tenantId: string) => budget.snapshot(bucket(tenantId));
    const ok = (list: Answer[]) => list.filter((answer) => answer.status === 200);

    beforeAll(async () => {
      redisDir = await mkdtemp(join(tmpdir(), 'pixelgate-proof-redis-'));
      redis = new PrivateRedis(await freePort(), { dataDir: redisDir });
      await redis.start();
      upstream = await startFakeOpenAIServer();
      upstream.enqueue(...faults(4000));
      budget = createRedisBudgetStore({ url: redis.url, prefix, leaseMs: LEASE_MS, commandTimeoutMs: 1000 });
      const config = {
        redisUrl: redis.url,
        redisPrefix: prefix,
        postgresUrl,
        schema,
        signingKeyPem: key.privateKeyPem,
        mediaSecret: randomBytes(32).toString('base64url'),
        upstreamBaseURL: upstream.baseURL,
        upstreamApiKey: FAKE_OPENAI_API_KEY,
        leaseMs: LEASE_MS,
        timeoutMs: TIMEOUT_MS,
        tenants,
        budgetUsd: BUDGET_USD,
        requestsPerWindow: REQUESTS_PER_WINDOW,
      };
      // All three start (and migrate the schema) at the same moment.
      replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => startReplica(name, config)));
    }, 60_000);

    afterAll(async () => {
      for (const replica of replicas) await killReplica(replica);
      budget?.client.disconnect();
      await upstream?.close();
      await redis?.stop();
      if (redisDir) await rm(redisDir, { recursive: true, force: true });
      if (postgresUrl) await dropSchema(postgresUrl, schema);
    }, 60_000);

    it('1,000 concurrent requests with upstream faults: exact limit, no overspend, one record each', async () => {
      const list = await runLoad({
        total: 1000,
        concurrency: 32,
        replicas,
        apiKey: tenants[0]!.key,
        requestId: (index) => `a-${index}`,
      });
      answers.a = list;
      const counts = byStatus(list);
      expect(counts[0], 'no connection failures').toBeUndefined();
      // The rate limit lets exactly 700 through across the three processes.
      expect(counts[429]).toBe(1000 - REQUESTS_PER_WINDOW);
      // Faults reached the gateways and came back as errors; the budget ran out.
      expect(counts[502]).toBeGreaterThan(0);
      expect(counts[504]).toBeGreaterThan(0);
      expect(counts[402]).toBeGreaterThan(0);
      // Spend never exceeds the budget, and Redis holds exactly what the ledger of audited
      // successes holds (real costs from the upstream's token usage, not the per-image estimate).
      const spent = await snapshot('stage-a');
      expect(spent.spentUsd).toBeLessThanOrEqual(BUDGET_USD);
      const ledger = await ledgerOf('a-%');
      expect(ledger.rows).toBe(ok(list).length);
      expect(micros(spent.spentUsd)).toBe(ledger.micros);
      expect(spent.reservedUsd).toBe(0);
      expect(new Set(list.map((answer) => answer.replica))).toEqual(new Set(['r1', 'r2', 'r3']));
      const records = await recordsOf('a-%');
      expect(records.size).toBe(1000);
      expect([...records.values()].every((count) => count === 1)).toBe(true);
    });

    it('SIGKILL of one replica mid-load: its 200s keep their records, its holds expire with the lease', async () => {
      const victim = replicas[2]!;
      let killedAt = 0;
      let inFlightAtKill = 0;
      const list = await runLoad({
        total: 210,
        concurrency: 32,
        replicas,
        apiKey: tenants[1]!.key,
        requestId: (index) => `b-${index}`,
        async onAnswer(_answer, done) {
          if (killedAt === 0 && done >= 70 && victim.inFlight > 0) {
            killedAt = Date.now();
            inFlightAtKill = victim.inFlight;
            await killReplica(victim);
          }
        },
      });
      answers.b = list;
      expect(killedAt).toBeGreaterThan(0);
      const lost = list.filter((answer) => answer.status === 0);
      expect(lost.length).toBeLessThanOrEqual(inFlightAtKill);
      expect(lost.every((answer) => answer.replica === victim.name)).toBe(true);
      const records = await recordsOf('b-%');
      // Every request answered, by any replica and with any status, has exactly one record.
      for (const answer of list.filter((each) => each.status !== 0))
        expect(records.get(answer.requestId), answer.requestId).toBe(1);
      expect(ok(list).filter((answer) => answer.replica === victim.name).length).toBeGreaterThan(0);
      // A request lost with the victim has at most one record.
      expect([...records.values()].every((count) => count === 1)).toBe(true);
      // The victim's holds are given back within the lease.
      await expect
        .poll(async () => (await snapshot('stage-b')).reservedUsd, {
          timeout: LEASE_MS + 5000,
          interval: 100,
        })
        .toBe(0);
      expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 5000 + 30_000);
      // Redis counted every audited success; at most the requests lost with the victim (settled,
      // then killed before their record committed) are counted without a ledger row.
      const spent = micros((await snapshot('stage-b')).spentUsd);
      const ledger = await ledgerOf('b-%');
      expect(ledger.rows).toBeGreaterThanOrEqual(ok(list).length);
      expect(spent).toBeGreaterThanOrEqual(ledger.micros);
      expect(spent).toBeLessThanOrEqual(ledger.micros + micros(lost.length * PRICE * 2));
    });

    it('Redis crash and restart mid-load: clear 503s while it is down, recovery after, nothing overspent', async () => {
      const survivors = replicas.filter((replica) => replica.alive);
      const load = (from: number, total: number) =>
        runLoad({
          total,
          concurrency: 16,
          replicas: survivors,
          apiKey: tenants[2]!.key,
          requestId: (index) => `c-${from + index}`,
        });
      // Load before the crash, while Redis is down (known down, not hoped to be), and after it is back.
      const before = await load(0, 40);
      await redis.stop();
      const during = await load(40, 40);
      await redis.start();
      const restartedAt = Date.now();
      // The replicas reconnect with a backoff of up to a second; keep sending batches until one
      // succeeds (recovery), bounded in count, rather than hoping the first batch comes late enough.
      const after: Answer[] = [];
      for (let batch = 0; batch < 30; batch += 1) {
        after.push(...(await load(80 + batch * 20, 20)));
        if (ok(after).length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const list = [...before, ...during, ...after];
      answers.c = list;
      const down = list.filter((answer) => answer.status === 503);
      expect(down.length).toBeGreaterThan(0);
      for (const answer of down) expect(answer.errorMessage).toMatch(/\(Redis\) cannot be reached/);
      expect(ok(list).filter((answer) => answer.finishedAt > restartedAt).length).toBeGreaterThan(0);
      // Nothing overspent, nothing audited as spent was forgotten by the crash (append-only file,
      // synced on every write); a settle whose reply the crash cut is counted without a ledger row.
      const spent = await snapshot('stage-c');
      expect(spent.spentUsd).toBeLessThanOrEqual(BUDGET_USD);
      const ledger = await ledgerOf('c-%');
      expect(micros(spent.spentUsd)).toBeGreaterThanOrEqual(ledger.micros);
      expect(micros(spent.spentUsd)).toBeLessThanOrEqual(ledger.micros + micros(down.length * PRICE * 2));
      expect(micros((await snapshot('stage-a')).spentUsd)).toBe((await ledgerOf('a-%')).micros);
      const records = await recordsOf('c-%');
      for (const answer of list) expect(records.get(answer.requestId), answer.requestId).toBe(1);
    });

    it('the chain of all writers verifies, and the ledger reconciles with Redis', async () => {
      for (const replica of replicas.filter((each) => each.alive)) expect(await stopReplica(replica)).toBe(0);
      const verdict = await verifyPostgresAuditLog({
        url: postgresUrl,
        schema,
        publicKeys: [key.publicKeyPem],
      });
      expect(verdict.firstBroken).toBeUndefined();
      expect(verdict.ok).toBe(true);
      const answered = Object.values(answers)
        .flat()
        .filter((answer) => answer.status !== 0).length;
      expect(verdict.records).toBeGreaterThanOrEqual(answered);
      const reconciliation = await reconcileSpend({
        url: postgresUrl,
        schema,
        rules: [{ scope: 'tenant', period: 'total', limitUsd: BUDGET_USD }],
        spentUsd: async (bucketKey) => (await budget.snapshot(bucketKey)).spentUsd,
      });
      // Stage A ran without crashes: ledger and Redis agree to the micro-dollar.
      expect(reconciliation.differences.map((difference) => difference.bucket)).not.toContain(
        bucket('stage-a'),
      );
      expect(reconciliation.buckets).toBe(3);
    });
  },
);

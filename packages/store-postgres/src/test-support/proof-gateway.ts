/**
 * One gateway replica for the scale-out proof: createGateway with the Redis budget and
 * rate-limit stores and the PostgreSQL audit sink, an OpenAI provider pointed at the test's fake
 * upstream, served over HTTP on 127.0.0.1 at port 0. Prints `READY <url>` once listening; on
 * SIGTERM closes the server and the stores (the audit sink writes its closing checkpoint).
 * Configuration comes as JSON in PIXELGATE_PROOF_CONFIG.
 */
import { createApiKeyAuthenticator, createGateway, createHttpHandler } from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { createRedisBudgetStore, createRedisRateLimitStore } from '@pixelgate/store-redis';
import { createPostgresAuditSink, migrate } from '../index.ts';

interface ProofConfig {
  redisUrl: string;
  redisPrefix: string;
  postgresUrl: string;
  schema: string;
  signingKeyPem: string;
  mediaSecret: string;
  upstreamBaseURL: string;
  upstreamApiKey: string;
  leaseMs: number;
  timeoutMs: number;
  tenants: Array<{ key: string; tenantId: string }>;
  budgetUsd: number;
  requestsPerWindow: number;
}

const config = JSON.parse(process.env.PIXELGATE_PROOF_CONFIG ?? '{}') as ProofConfig;
await migrate({ url: config.postgresUrl, schema: config.schema });
const budgetStore = createRedisBudgetStore({
  url: config.redisUrl,
  prefix: config.redisPrefix,
  leaseMs: config.leaseMs,
  commandTimeoutMs: 1000,
});
const rateLimitStore = createRedisRateLimitStore({
  url: config.redisUrl,
  prefix: config.redisPrefix,
  commandTimeoutMs: 1000,
});
const auditSink = createPostgresAuditSink({
  url: config.postgresUrl,
  schema: config.schema,
  signingKey: config.signingKeyPem,
  checkpointEvery: 250,
});
const gateway = createGateway({
  providers: [createOpenAIProvider({ baseURL: config.upstreamBaseURL, apiKey: config.upstreamApiKey })],
  budgetStore,
  rateLimitStore,
  auditSink,
  mediaSigningKeys: [{ id: 'shared-1', secret: config.mediaSecret }],
  budgets: { rules: [{ scope: 'tenant', period: 'total', limitUsd: config.budgetUsd }] },
  rateLimits: {
    rules: [{ scope: 'tenant', unit: 'requests', limit: config.requestsPerWindow, windowMs: 600_000 }],
  },
  dispatch: { timeoutMs: config.timeoutMs, retry: { maxRetries: 0 } },
  guardrails: [],
});
const handler = createHttpHandler(gateway, {
  authenticate: createApiKeyAuthenticator({
    keys: config.tenants.map((tenant) => ({
      id: tenant.tenantId,
      key: tenant.key,
      tenantId: tenant.tenantId,
    })),
  }),
});
const server = await listen(handler, { port: 0, host: '127.0.0.1', shutdownGraceMs: 5000 });
process.stdout.write(`READY ${server.url}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await server.close();
    await auditSink
      .close()
      .catch((error: unknown) => process.stderr.write(`audit close failed: ${String(error)}\n`));
    await budgetStore.close();
    await rateLimitStore.close();
    process.exit(0);
  })();
});

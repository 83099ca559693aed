import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AuditSink, BudgetStore, Logger, RateLimitStore } from '@pixelgate/core/spec';
import {
  createPostgresAuditSink,
  DEFAULT_POSTGRES_SCHEMA,
  migrate,
  type PostgresAuditSink,
} from '@pixelgate/store-postgres';
import { createRedisStores } from '@pixelgate/store-redis';
import { z } from 'zod';
import { UsageError } from './io.ts';

/** `redis` in the config file: budgets and rate limits shared by every replica. */
export const redisConfigSchema = z.strictObject({
  url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  /** Key prefix of this deployment (default `pixelgate:`). */
  prefix: z.string().optional(),
  /** Budget lease in ms (default 600000; above dispatch.timeoutMs). */
  leaseMs: z.number().int().positive().optional(),
  /** Rate limiting while Redis is down: `closed` (default, 503) or `open` (unlimited, warned). */
  rateLimitOnUnavailable: z.enum(['closed', 'open']).optional(),
});

/** `postgres` in the config file: the audit log and spend ledger shared by every replica. */
export const postgresConfigSchema = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
  /** Schema of the tables (default `pixelgate`). */
  schema: z.string().optional(),
  /** Apply pending migrations at start (default true; safe from several replicas at once). */
  migrate: z.boolean().default(true),
});

/** The part of the CLI config the shared stores read. */
export interface SharedStoresConfig {
  redis?: z.infer<typeof redisConfigSchema> | undefined;
  postgres?: z.infer<typeof postgresConfigSchema> | undefined;
  mediaSigningKeys?: unknown[] | undefined;
  auditLog?: { signingKeyFile?: string | undefined } | undefined;
}

/** The shared stores `serve` passes to the gateway. */
export interface SharedStores {
  budgetStore?: BudgetStore;
  rateLimitStore?: RateLimitStore;
  auditSink?: AuditSink;
  /** Closes the Redis connection (the gateway closes the audit sink). */
  close(): Promise<void>;
}

/**
 * Opens the stores a config's `redis` and `postgres` sections ask for. Refuses a shared setup that
 * would sign differently per replica: without `mediaSigningKeys` every replica would make its own
 * random media key (links from one fail on the others), and without `auditLog.signingKeyFile` each
 * would sign checkpoints with a key of its own.
 *
 * @throws UsageError naming the missing setting.
 */
export async function openSharedStores(
  config: SharedStoresConfig,
  cwd: string,
  logger?: Logger,
): Promise<SharedStores> {
  if (!config.redis && !config.postgres) return { close: async () => {} };
  if (!config.mediaSigningKeys?.length) {
    throw new UsageError(
      'redis/postgres make this a shared deployment: set mediaSigningKeys (the same on every replica) instead of a random per-process media key',
    );
  }
  let auditSink: PostgresAuditSink | undefined;
  if (config.postgres) {
    const keyFile = config.auditLog?.signingKeyFile;
    if (!keyFile) {
      throw new UsageError(
        'postgres needs auditLog.signingKeyFile: the Ed25519 key every replica signs checkpoints with',
      );
    }
    const signingKey = await readFile(resolve(cwd, keyFile), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the audit signing key ${keyFile}: ${error.code ?? String(error)}`);
    });
    const schema = config.postgres.schema ?? DEFAULT_POSTGRES_SCHEMA;
    if (config.postgres.migrate !== false) await migrate({ url: config.postgres.url, schema });
    auditSink = createPostgresAuditSink({ url: config.postgres.url, schema, signingKey });
  }
  const redis = config.redis
    ? createRedisStores({
        url: config.redis.url,
        ...(config.redis.prefix === undefined ? {} : { prefix: config.redis.prefix }),
        ...(config.redis.leaseMs === undefined ? {} : { leaseMs: config.redis.leaseMs }),
        ...(config.redis.rateLimitOnUnavailable
          ? { rateLimitOnUnavailable: config.redis.rateLimitOnUnavailable }
          : {}),
        ...(logger ? { logger } : {}),
      })
    : undefined;
  return {
    ...(redis ? { budgetStore: redis.budgetStore, rateLimitStore: redis.rateLimitStore } : {}),
    ...(auditSink ? { auditSink } : {}),
    close: async () => {
      await redis?.close();
    },
  };
}

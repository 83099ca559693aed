import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatAuditVerification } from '@pixelgate/core/audit';
import {
  DEFAULT_POSTGRES_SCHEMA,
  exportPostgresEvidence,
  migrate,
  reconcileSpend,
  verifyPostgresAuditLog,
} from '@pixelgate/store-postgres';
import { createRedisBudgetStore } from '@pixelgate/store-redis';
import type { CliConfig } from '../config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';

/** Where a database command connects: `--postgres`, else the config's `postgres.url`. */
function postgresOf(flag: string | undefined, config: CliConfig): { url: string; schema: string } {
  const url = flag ?? config.postgres?.url;
  if (!url)
    throw new UsageError('give the database with --postgres <url> or postgres.url in the config file');
  return { url, schema: config.postgres?.schema ?? DEFAULT_POSTGRES_SCHEMA };
}

async function publicKeyOf(file: string | undefined, io: CliIo): Promise<string> {
  if (!file)
    throw new UsageError(
      '--public-key <file> is required with --postgres (the PEM key checkpoints are signed with)',
    );
  return readFile(resolve(io.cwd, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read public key ${file}: ${error.code ?? String(error)}`);
  });
}

/** `pixelgate db migrate`: applies pending migrations (safe while replicas start). */
export async function runDbMigrate(
  flags: { postgres?: string },
  config: CliConfig,
  io: CliIo,
): Promise<number> {
  const target = postgresOf(flags.postgres, config);
  const report = await migrate(target);
  io.stdout(
    report.applied.length
      ? `applied migrations ${report.applied.join(', ')} to schema ${report.schema}; now at ${report.version}\n`
      : `schema ${report.schema} is up to date (migration ${report.version})\n`,
  );
  return EXIT.ok;
}

/** `pixelgate audit verify --postgres <url>`: the file verifier's checks over the database log. */
export async function runAuditVerifyPostgres(
  flags: { postgres?: string; publicKey?: string; allowUnsignedTail?: boolean },
  config: CliConfig,
  io: CliIo,
): Promise<number> {
  const target = postgresOf(flags.postgres, config);
  const result = await verifyPostgresAuditLog({
    ...target,
    publicKeys: [await publicKeyOf(flags.publicKey, io)],
    ...(flags.allowUnsignedTail ? { allowUnsignedTail: true } : {}),
  });
  io.stdout(`${formatAuditVerification(result)}\n`);
  return result.ok ? EXIT.ok : EXIT.failure;
}

/** `pixelgate audit export --postgres <url>`: the evidence bundle of a period, from the database. */
export async function runAuditExportPostgres(
  flags: { postgres?: string; publicKey?: string; from: string; to: string; out: string },
  config: CliConfig,
  io: CliIo,
): Promise<number> {
  const bundle = await exportPostgresEvidence({
    ...postgresOf(flags.postgres, config),
    from: flags.from,
    to: flags.to,
    out: resolve(io.cwd, flags.out),
    publicKeys: [await publicKeyOf(flags.publicKey, io)],
  });
  io.stdout(`wrote ${Object.keys(bundle.files).length} files to ${flags.out}\n`);
  io.stdout(`${formatAuditVerification(bundle.verification)}\n`);
  return bundle.verification.ok ? EXIT.ok : EXIT.failure;
}

/** `pixelgate budget reconcile`: the spend ledger against the Redis budget counters. */
export async function runBudgetReconcile(
  flags: { postgres?: string; redis?: string },
  config: CliConfig,
  io: CliIo,
): Promise<number> {
  const redisUrl = flags.redis ?? config.redis?.url;
  if (!redisUrl) throw new UsageError('give Redis with --redis <url> or redis.url in the config file');
  const store = createRedisBudgetStore({
    url: redisUrl,
    ...(config.redis?.prefix === undefined ? {} : { prefix: config.redis.prefix }),
  });
  try {
    const result = await reconcileSpend({
      ...postgresOf(flags.postgres, config),
      rules: config.budgets.rules,
      spentUsd: async (bucket) => (await store.snapshot(bucket)).spentUsd,
    });
    io.stdout(`${result.buckets} budget buckets compared; ${result.differences.length} differ\n`);
    for (const difference of result.differences) {
      io.stdout(
        `  ${difference.label}: ledger $${difference.ledgerUsd}, Redis $${difference.storeUsd} (${difference.differenceUsd > 0 ? '+' : ''}${difference.differenceUsd})\n`,
      );
    }
    return result.ok ? EXIT.ok : EXIT.failure;
  } finally {
    await store.close();
  }
}

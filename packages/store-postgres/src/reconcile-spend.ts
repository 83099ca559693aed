import { type BudgetRule, type BudgetRuleInput, budgetRuleSchema } from '@pixelgate/core/spec';
import { budgetBuckets } from '@pixelgate/core/store-utils';
import {
  DEFAULT_POSTGRES_SCHEMA,
  openPool,
  type PostgresConnectionOptions,
  quoteSchema,
} from './pg-connection.ts';

/** Options of {@link reconcileSpend}. */
export interface ReconcileSpendOptions extends PostgresConnectionOptions {
  /** The gateway's budget rules (`budgets.rules`), which name the buckets to compare. */
  rules: ReadonlyArray<BudgetRuleInput>;
  /** The settled dollars the budget store holds for a bucket (for Redis: `snapshot(key).spentUsd`). */
  spentUsd(bucketKey: string): Promise<number>;
  /** The moment whose windows are compared (default now). */
  now?: number;
}

/** One bucket whose ledger and store disagree. */
export interface SpendDifference {
  bucket: string;
  label: string;
  ledgerUsd: number;
  storeUsd: number;
  /** Store minus ledger: positive when the store counted spend the ledger has no record of. */
  differenceUsd: number;
}

/** The outcome of a reconciliation. */
export interface SpendReconciliation {
  ok: boolean;
  /** Buckets compared. */
  buckets: number;
  differences: SpendDifference[];
}

function windowStart(period: BudgetRule['period'], now: number): number {
  const date = new Date(now);
  if (period === 'day') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return 0;
}

/**
 * Compares the spend ledger with the budget store for the current windows: for every tenant,
 * user and key with ledger rows in a window, the buckets the gateway's rules give them are summed
 * from the ledger (in whole micro-dollars) and compared with what the store says was settled. A
 * difference means money was counted on one side only: a settle whose audit record failed, a
 * store that lost data (a Redis restart without persistence), or a ledger row removed. Requests
 * in flight settle before their record is written, so on a busy system compare after a quiet
 * moment, or again to see whether a difference persists.
 */
export async function reconcileSpend(options: ReconcileSpendOptions): Promise<SpendReconciliation> {
  const schema = quoteSchema(options.schema ?? DEFAULT_POSTGRES_SCHEMA);
  const rules = options.rules.map((rule) => budgetRuleSchema.parse(rule));
  const now = options.now ?? Date.now();
  const { pool, owned } = openPool(options, 1);
  const ledger = new Map<string, { label: string; micros: number }>();
  try {
    for (const period of new Set(rules.map((rule) => rule.period))) {
      const periodRules = rules.filter((rule) => rule.period === period);
      const { rows } = await pool.query<{
        tenant_id: string;
        user_id: string | null;
        key_id: string | null;
        micros: string;
      }>(
        `SELECT tenant_id, user_id, key_id, sum(cost_micros) AS micros FROM ${schema}.spend_ledger
         WHERE requested_at >= $1 AND requested_at <= $2 GROUP BY tenant_id, user_id, key_id`,
        [new Date(windowStart(period, now)).toISOString(), new Date(now).toISOString()],
      );
      for (const row of rows) {
        const caller = {
          tenantId: row.tenant_id,
          ...(row.user_id === null ? {} : { userId: row.user_id }),
          ...(row.key_id === null ? {} : { keyId: row.key_id }),
        };
        for (const bucket of budgetBuckets(periodRules, caller, now)) {
          const entry = ledger.get(bucket.key) ?? { label: bucket.label, micros: 0 };
          entry.micros += Number(row.micros);
          ledger.set(bucket.key, entry);
        }
      }
    }
  } finally {
    if (owned) await pool.end();
  }
  const differences: SpendDifference[] = [];
  for (const [bucket, { label, micros }] of [...ledger].sort(([a], [b]) => a.localeCompare(b))) {
    const storeMicros = Math.round((await options.spentUsd(bucket)) * 1_000_000);
    if (storeMicros !== micros) {
      differences.push({
        bucket,
        label,
        ledgerUsd: micros / 1_000_000,
        storeUsd: storeMicros / 1_000_000,
        differenceUsd: (storeMicros - micros) / 1_000_000,
      });
    }
  }
  return { ok: differences.length === 0, buckets: ledger.size, differences };
}

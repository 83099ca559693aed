import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { type AuditSink, type BudgetStore, type Gateway, type RateLimitStore, TOKENS } from '@pixelgate/core';

/** One readiness check's result. */
export interface CheckResult {
  ok: boolean;
  /** Why it failed, or a short fact when it passed (never a secret or a path with one). */
  detail?: string;
}

/** A named readiness check. */
export type ReadinessCheck = () => Promise<CheckResult>;

/** What `/readyz` checks; each must answer within {@link CHECK_TIMEOUT_MS}. */
export interface ReadinessOptions {
  gateway: Gateway;
  /** The audit log folder, when the file audit log is on. */
  auditDirectory?: string;
  /** Whether the audit log's signing key was loaded. */
  auditKeyLoaded: boolean;
}

/** A check that has not answered by then counts as failed: a probe must not hang on a dead store. */
export const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
  });
  const run = check().catch((error: unknown) => ({
    ok: false,
    detail: withoutCredentials(error instanceof Error ? error.message : String(error)),
  }));
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A failure detail with any `user:password@` of a URL masked: the stores promise messages without
 * secrets, and this keeps a probe answer safe from a driver that does not.
 */
export function withoutCredentials(detail: string): string {
  return detail.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/** A shared store with the optional readiness `check` of the store contracts. */
type Checkable = BudgetStore | RateLimitStore | AuditSink;

/**
 * The checks of the gateway's shared stores (the budget and rate-limit stores, the audit sink)
 * that can say whether their service answers: Redis and PostgreSQL do, in-process stores have no
 * `check` and no entry. Several stores on one Redis connection are checked each, so the answer
 * names every part that depends on it.
 */
export function storeChecks(gateway: Gateway): Record<string, ReadinessCheck> {
  const stores: Record<string, Checkable> = {
    budgetStore: gateway.container.resolve<BudgetStore>(TOKENS.BudgetStore),
    rateLimitStore: gateway.container.resolve<RateLimitStore>(TOKENS.RateLimitStore),
    auditSink: gateway.auditSink,
  };
  const checks: Record<string, ReadinessCheck> = {};
  for (const [name, store] of Object.entries(stores)) {
    const check = store.check?.bind(store);
    if (check)
      checks[name] = async () => {
        await check();
        return { ok: true };
      };
  }
  return checks;
}

/**
 * The readiness checks of `serve`: the image store answers (its own `verify`, else a lookup of a
 * key that does not exist), the audit log folder is writable and its signing key loaded, and at
 * least one provider with at least one model is configured; plus {@link storeChecks} for shared
 * stores (Redis, PostgreSQL) that answer a `check`.
 */
export function readinessChecks(options: ReadinessOptions): Record<string, ReadinessCheck> {
  const { gateway } = options;
  return {
    storage: async () => {
      if (gateway.storage.verify) await gateway.storage.verify();
      else await gateway.storage.head('pixelgate-readiness-probe');
      return { ok: true, detail: gateway.storage.id };
    },
    auditLog: async () => {
      if (!options.auditDirectory) return { ok: true, detail: 'no file audit log' };
      if (!options.auditKeyLoaded) return { ok: false, detail: 'signing key not loaded' };
      await access(options.auditDirectory, constants.W_OK);
      return { ok: true };
    },
    providers: async () => {
      const providers = gateway.registry.providers().length;
      const models = gateway.listModels().length;
      if (!providers || !models) return { ok: false, detail: 'no provider with a model is configured' };
      return { ok: true, detail: `${providers} providers, ${models} models` };
    },
    ...storeChecks(gateway),
  };
}

/** Runs every check at once; `ready` when all pass, with each result by name. */
export async function checkReadiness(
  checks: Record<string, ReadinessCheck>,
): Promise<{ ready: boolean; checks: Record<string, CheckResult>; failing: string[] }> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => withTimeout(checks[name] as ReadinessCheck)));
  const byName = Object.fromEntries(names.map((name, index) => [name, results[index] as CheckResult]));
  const failing = names.filter((name) => !byName[name]?.ok);
  return { ready: failing.length === 0, checks: byName, failing };
}

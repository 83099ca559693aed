import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Gateway } from '@pixelgate/core';

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
    detail: error instanceof Error ? error.message : String(error),
  }));
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The readiness checks of `serve`: the image store answers (its own `verify`, else a lookup of a
 * key that does not exist), the audit log folder is writable and its signing key loaded, and at
 * least one provider with at least one model is configured.
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

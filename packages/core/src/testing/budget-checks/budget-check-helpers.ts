import { expect } from 'vitest';
import type { BudgetRefusal, BudgetReservation } from '../../budget/budget-store.ts';
import { GatewayError } from '../../errors/gateway-error.ts';

/** Whether `reserve` refused (a refusal has no reservation id). */
export function isRefusal(value: BudgetReservation | BudgetRefusal): value is BudgetRefusal {
  return !('id' in value);
}

/** Resolves when `check` passes, polling; fails with the last value after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Awaits a rejection and checks it is a GatewayError. */
export async function expectGatewayError(promise: Promise<unknown>): Promise<GatewayError> {
  const caught = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
  expect(GatewayError.isInstance(caught), `expected a GatewayError, got ${JSON.stringify(caught)}`).toBe(
    true,
  );
  return caught as GatewayError;
}

import { type TenantContext, tenantContextSchema } from './tenant.ts';

/** Tenant contexts checked against the schema once and frozen, so requests need not check them again. */
const validated = new WeakSet<object>();

/**
 * Validates a tenant context once (at startup: API-key entries, the anonymous tenant) and returns
 * a frozen copy that {@link isValidatedTenant} recognizes, so the HTTP layer skips the per-request
 * zod check for it. Frozen all the way down, so it cannot change after the check.
 * @returns the frozen context, or undefined when the value is not a valid tenant context.
 */
export function validateTenantOnce(value: unknown): TenantContext | undefined {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as TenantContext;
  const parsed = tenantContextSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const context = deepFreeze(parsed.data);
  validated.add(context);
  return context;
}

/** True for a context returned by {@link validateTenantOnce}. */
export function isValidatedTenant(value: unknown): value is TenantContext {
  return typeof value === 'object' && value !== null && validated.has(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { TenantContext } from './tenant.ts';

/** What one plan tier may use: model patterns (`openai/*`, `stability/sd3.5-*`) and provider ids. */
export const accessPlanSchema = z.strictObject({
  /** Model patterns; `*` matches any characters. Absent means every model. */
  models: z.array(z.string().min(1)).optional(),
  /** Provider ids; absent means every provider. */
  providers: z.array(z.string().min(1)).optional(),
});
/** One plan tier. */
export type AccessPlan = z.infer<typeof accessPlanSchema>;

/** Access configuration: the plan tiers, and the plan of tenants that name none. */
export const accessPolicyOptionsSchema = z.strictObject({
  plans: z.record(z.string().min(1), accessPlanSchema).default({}),
  /** Plan applied to tenants without one; absent means such tenants are limited only by their own lists. */
  defaultPlan: z.string().min(1).optional(),
});
/** Access configuration as written. */
export type AccessPolicyOptions = z.input<typeof accessPolicyOptionsSchema>;

/** The model as the policy sees it: its provider and id (a descriptor fits). */
export interface AccessModel {
  provider: string;
  id: string;
  aliases?: ReadonlyArray<string>;
}

/** Decides whether a tenant may use a model. */
export type AccessPolicyFunction = (tenant: TenantContext, model: AccessModel) => boolean;

/** Compiles a `*` glob to an anchored regular expression (every other character literal). */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

function matcher(patterns: ReadonlyArray<string>): (model: AccessModel) => boolean {
  const compiled = patterns.map((pattern) => ({
    qualified: pattern.includes('/'),
    regexp: globToRegExp(pattern),
  }));
  return (model) => {
    const qualified = `${model.provider}/${model.id}`;
    return compiled.some(({ qualified: isQualified, regexp }) =>
      isQualified
        ? regexp.test(qualified)
        : regexp.test(model.id) || (model.aliases ?? []).some((alias) => regexp.test(alias)),
    );
  };
}

/**
 * Builds the access decision: a tenant may use a model when every rule that applies to it says
 * yes: its plan tier (models and providers), its own `allowedModels` patterns and
 * `allowedProviders` list. Patterns with a `/` match `provider/id`; patterns without one match the
 * model id or an alias. A tenant naming a plan that does not exist is refused everything (fail
 * closed: a typo must not grant access). Used for requests and for listing models, so a caller
 * never sees a model it cannot use.
 *
 * @throws GatewayError CONFIGURATION_ERROR when the options are malformed or `defaultPlan` is unknown.
 */
export function createAccessPolicy(options: AccessPolicyOptions = {}): AccessPolicyFunction {
  const parsed = accessPolicyOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Invalid access policy: ${parsed.error.issues[0]?.message ?? 'malformed'}.`,
    );
  }
  const { plans, defaultPlan } = parsed.data;
  if (defaultPlan !== undefined && !(defaultPlan in plans)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Access policy defaultPlan "${defaultPlan}" is not one of the plans.`,
    );
  }
  const compiledPlans = new Map(
    Object.entries(plans).map(([name, plan]) => [
      name,
      {
        models: plan.models ? matcher(plan.models) : undefined,
        providers: plan.providers ? new Set(plan.providers) : undefined,
      },
    ]),
  );
  const tenantMatchers = new Map<string, (model: AccessModel) => boolean>();
  const tenantMatcher = (patterns: ReadonlyArray<string>) => {
    const cacheKey = patterns.join('\u0000');
    let compiled = tenantMatchers.get(cacheKey);
    if (!compiled) {
      compiled = matcher(patterns);
      if (tenantMatchers.size < 1000) tenantMatchers.set(cacheKey, compiled);
    }
    return compiled;
  };

  return (tenant, model) => {
    const planName = tenant.plan ?? defaultPlan;
    if (planName !== undefined) {
      const plan = compiledPlans.get(planName);
      if (!plan) return false;
      if (plan.providers && !plan.providers.has(model.provider)) return false;
      if (plan.models && !plan.models(model)) return false;
    }
    if (tenant.allowedProviders && !tenant.allowedProviders.includes(model.provider)) return false;
    if (tenant.allowedModels && !tenantMatcher(tenant.allowedModels)(model)) return false;
    return true;
  };
}

/**
 * MODEL_ACCESS_DENIED for a model the caller may not use. It repeats only what the caller asked
 * for: never which tenants or plans may use it, and never the names of models the caller cannot
 * see.
 */
export function modelAccessDeniedError(requested: string): GatewayError {
  const shown = requested.length > 200 ? `${requested.slice(0, 200)}…` : requested;
  return new GatewayError(
    'MODEL_ACCESS_DENIED',
    `You do not have access to model '${shown}'. List the models available to you with GET /v1/models.`,
    { param: 'model' },
  );
}

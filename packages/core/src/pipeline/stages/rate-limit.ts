import { rateLimitEntries, rateLimitedError } from '../../rate-limit/index.ts';
import { eventBase, need } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/**
 * rate limit: the request (and its images) counted against every matching rule at once; a refusal
 * takes nothing and is RATE_LIMITED with the time to wait. The decisions feed `x-ratelimit-*`.
 */
export const rateLimitStage: Stage = {
  name: 'rate-limit',
  timing: 'rate_limit',
  run(ctx, deps) {
    const request = need(ctx.request, 'request');
    const entries = rateLimitEntries(deps.config.rateLimits.rules, ctx.tenant, request.n ?? 1);
    if (entries.length === 0) return;
    return deps.rateLimitStore.consume(entries, deps.clock.now()).then((decisions) => {
      ctx.facts.rateLimit = decisions;
      const tightest = decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a), decisions[0]!);
      deps.events.emit('rate-limit', {
        ...eventBase(ctx),
        allowed: decisions.every((d) => d.allowed),
        limit: tightest.limit,
        remaining: tightest.remaining,
        resetMs: tightest.resetMs,
        decisions,
      });
      if (decisions.some((d) => !d.allowed)) throw rateLimitedError(decisions);
    });
  },
};

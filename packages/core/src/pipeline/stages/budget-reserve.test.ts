import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { budgetReserveStage } from './budget-reserve.ts';

const budget = { budgets: { rules: [{ scope: 'tenant' as const, period: 'day' as const, limitUsd: 0.1 }] } };

describe('budget-reserve stage', () => {
  it('prices the request without budgets and holds no reservation', async () => {
    const deps = stageDeps();
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(ctx, deps, 'budget-reserve');
    await budgetReserveStage.run(ctx, deps);
    expect(ctx.facts.cost).toEqual({ estimatedUsd: 0.08, basis: 'per_image' });
    expect(ctx.reservation).toBeUndefined();
  });

  it('reserves the estimate, refuses past the budget, and releases on a later failure', async () => {
    const deps = stageDeps({ config: budget });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(ctx, deps, 'budget-reserve');
    await budgetReserveStage.run(ctx, deps);
    expect(ctx.reservation?.amountUsd).toBe(0.08);
    const over = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 1 });
    await runStagesBefore(over, deps, 'budget-reserve');
    await expect(budgetReserveStage.run(over, deps)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    await budgetReserveStage.onFailure!(ctx, deps, new GatewayError('INTERNAL_ERROR', 'later'));
    expect(ctx.reservation).toBeUndefined();
    expect(deps.emitted.at(-1)).toMatchObject({ name: 'budget-settle', event: { released: true } });
    const again = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 1 });
    await runStagesBefore(again, deps, 'budget-reserve');
    await budgetReserveStage.run(again, deps);
    expect(again.reservation?.amountUsd).toBe(0.04);
  });
});

import { describe, expect, it } from 'vitest';
import { applyMeasuredTimings, type StageTiming, type TelemetryStage } from './stage-timer.ts';

/** An estimated stage from `startTime` to `endTime`. */
const estimated = (stage: TelemetryStage, startTime: number, endTime: number): StageTiming => ({
  requestId: 'req_1',
  stage,
  startTime,
  endTime,
  durationMs: endTime - startTime,
  measured: false,
  outcome: 'ok',
});

const layout = (timings: StageTiming[]) =>
  timings.map(({ stage, startTime, endTime, durationMs, measured }) => ({
    stage,
    startTime,
    endTime,
    durationMs,
    measured,
  }));

describe('applyMeasuredTimings', () => {
  const stages = [estimated('resolve', 0, 10), estimated('dispatch', 10, 20), estimated('settle', 20, 30)];

  it('keeps the estimates when request-end carries no timings', () => {
    expect(applyMeasuredTimings(stages, undefined, 40)).toEqual(stages);
  });

  it('replaces measured stages, lays them end to end and leaves unmeasured ones estimated', () => {
    expect(layout(applyMeasuredTimings(stages, { validate: 15, dispatch: 3, deliver: 7 }, 40))).toEqual([
      { stage: 'resolve', startTime: 0, endTime: 15, durationMs: 15, measured: true },
      { stage: 'dispatch', startTime: 15, endTime: 18, durationMs: 3, measured: true },
      // settle is only partly timed by the runner (deliver), so it stays estimated.
      { stage: 'settle', startTime: 20, endTime: 30, durationMs: 10, measured: false },
    ]);
  });

  it('reports the measured duration but keeps the spans inside the request when the clocks differ', () => {
    const result = applyMeasuredTimings(stages, { dispatch: 100 }, 40);
    expect(layout(result)).toEqual([
      { stage: 'resolve', startTime: 0, endTime: 10, durationMs: 10, measured: false },
      { stage: 'dispatch', startTime: 10, endTime: 40, durationMs: 100, measured: true },
      { stage: 'settle', startTime: 40, endTime: 40, durationMs: 0, measured: false },
    ]);
  });

  it('sums the keys of a stage and ignores negative values', () => {
    const [resolve] = applyMeasuredTimings([estimated('budget_reserve', 0, 5)], { budget: -3 }, 40);
    expect(resolve).toMatchObject({ durationMs: 0, measured: true, endTime: 0 });
  });
});

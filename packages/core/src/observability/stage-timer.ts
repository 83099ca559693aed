import type { GatewayEventEmitter, GatewayEvents } from '../events/gateway-events.ts';
import { type GatewayListeners, subscribe } from './subscribe.ts';

/**
 * The pipeline stages telemetry reports, as the events delimit them. Parsing is part of
 * `resolve` (it emits no event of its own), delivering part of `settle`; a fallback's second
 * resolution and budget reservation are part of `dispatch`. A fixed list: metric labels stay
 * bounded.
 */
export const TELEMETRY_STAGES = [
  'resolve',
  'rate_limit',
  'input_guardrails',
  'budget_reserve',
  'dispatch',
  'output_guardrails',
  'store',
  'settle',
  'audit',
] as const;

/** A stage name of {@link TELEMETRY_STAGES}. */
export type TelemetryStage = (typeof TELEMETRY_STAGES)[number];

/**
 * How a stage ended, from what its events say: `ok`, `refused` (rate limit or budget), `blocked`
 * (a guardrail blocked), `error` (every provider call of the stage failed).
 */
export type StageOutcome = 'ok' | 'refused' | 'blocked' | 'error';

/**
 * One stage of one request: when it began and ended (ms since the epoch), how long it took and
 * how it ended. `durationMs` is the runner's measurement when `measured`, else `endTime - startTime`.
 */
export interface StageTiming {
  requestId: string;
  stage: TelemetryStage;
  startTime: number;
  endTime: number;
  durationMs: number;
  /** Whether `durationMs` was measured by the runner (the `request-end` timings), not estimated. */
  measured: boolean;
  outcome: StageOutcome;
}

/**
 * The runner's `timings` keys that make up each stage (see the runner's stage list). Only stages
 * whose every part the runner times: `settle` (its budget settlement is untimed) and `audit`
 * (reported by `audit-write` itself) stay estimated. A fallback's budget reservation, timed
 * under `budget`, counts toward `budget_reserve` here though its events fall in `dispatch`.
 */
const MEASURED_BY: Partial<Record<TelemetryStage, readonly string[]>> = {
  resolve: ['validate'],
  rate_limit: ['rate_limit'],
  input_guardrails: ['input_guardrails'],
  budget_reserve: ['budget'],
  dispatch: ['dispatch'],
  output_guardrails: ['output_guardrails'],
  store: ['store'],
};

/** The runner's measured milliseconds of a stage, or undefined when it has none for it. */
function measuredMs(stage: TelemetryStage, timings: Record<string, number> | undefined): number | undefined {
  const keys = MEASURED_BY[stage];
  if (!timings || !keys?.some((key) => typeof timings[key] === 'number')) return undefined;
  return keys.reduce((sum, key) => sum + Math.max(0, timings[key] ?? 0), 0);
}

/**
 * A request's stages with the runner's measured durations where it has them. Measured stages are
 * laid end to end from their estimated starts (an estimated start, the previous stage's last
 * event, is never later than the real one) and kept within the request (`endOfRequest`), so
 * spans still nest and never overlap; the duration reported is the measurement itself.
 */
export function applyMeasuredTimings(
  stages: readonly StageTiming[],
  timings: Record<string, number> | undefined,
  endOfRequest: number,
): StageTiming[] {
  let previousEnd = Number.NEGATIVE_INFINITY;
  return stages.map((timing) => {
    const measured = measuredMs(timing.stage, timings);
    const startTime = Math.max(timing.startTime, previousEnd);
    const wanted = measured === undefined ? timing.endTime : startTime + measured;
    const endTime = Math.max(startTime, Math.min(wanted, endOfRequest));
    previousEnd = endTime;
    const durationMs = measured ?? endTime - startTime;
    return { ...timing, startTime, endTime, durationMs, measured: measured !== undefined };
  });
}

/** The stage a request is in: it began at `startTime`; `endTime` is its latest event. */
interface OpenStage {
  stage: TelemetryStage;
  startTime: number;
  endTime: number;
  outcome: StageOutcome;
  /** Provider calls that succeeded (a dispatch with one success is `ok` despite failed attempts). */
  succeeded: number;
}

/** Where a request's stages stand. */
interface RequestStages {
  /** The request's clock: wall time at its start, advanced by the monotonic clock (as span clocks are). */
  now: () => number;
  /** End of the last closed stage (or the request's start): where the next stage begins. */
  mark: number;
  open?: OpenStage;
  /** Closed stages, reported when the request ends (with the runner's timings). */
  closed: StageTiming[];
  dispatched: boolean;
}

/**
 * A clock in milliseconds since the epoch with sub-millisecond precision, anchored to the wall
 * clock now and advanced by the monotonic one: the way OpenTelemetry's span clocks work, so stage
 * times line up with the request span's.
 */
export function anchoredClock(): () => number {
  const wall = Date.now();
  const start = performance.now();
  return () => wall + (performance.now() - start);
}

/** A stage's outcome after one more of its events. */
function outcomeAfter(
  open: OpenStage,
  name: keyof GatewayEvents,
  event: Record<string, unknown>,
): StageOutcome {
  if (name === 'rate-limit' && event.allowed === false) return 'refused';
  if (name === 'budget-reserve' && event.granted === false) return 'refused';
  if (name === 'guardrail-verdict' && (event.verdict as { action?: string }).action === 'block')
    return 'blocked';
  if (name === 'provider-call-end') {
    if (!event.errorCode) open.succeeded += 1;
    return open.succeeded > 0 ? open.outcome : 'error';
  }
  return open.outcome;
}

/** The stage an event belongs to, or undefined for events that mark no stage (warnings). */
function stageOf(
  name: keyof GatewayEvents,
  event: Record<string, unknown>,
  dispatched: boolean,
): TelemetryStage | undefined {
  switch (name) {
    case 'model-resolve':
      return dispatched ? 'dispatch' : 'resolve';
    case 'rate-limit':
      return 'rate_limit';
    case 'guardrail-verdict':
      return (event.verdict as { stage?: string }).stage === 'output'
        ? 'output_guardrails'
        : 'input_guardrails';
    case 'budget-reserve':
      return dispatched ? 'dispatch' : 'budget_reserve';
    case 'provider-call-start':
    case 'provider-call-end':
    case 'provider-retry':
    case 'model-fallback':
      return 'dispatch';
    case 'storage-put':
      return 'store';
    case 'budget-settle':
      return 'settle';
    case 'audit-write':
    case 'audit-error':
      return 'audit';
    default:
      return undefined;
  }
}

/**
 * Follows each request through the pipeline stages from the gateway's events and calls
 * `onStage` once per stage that ran, in order, when the request ends. A stage's duration is the
 * runner's measurement from the `request-end` timings when it has one (see `MEASURED_BY`);
 * otherwise it is estimated: from the previous stage's last event to its own last event, and the
 * audit write, which reports its duration, from exactly when it began. `clockOf` gives the clock of a request whose spans
 * are timed already (so stage times and span times share one clock); otherwise each request gets
 * its own. Returns the unsubscribe function.
 */
export function trackStages(
  events: GatewayEventEmitter,
  onStage: (timing: StageTiming) => void,
  clockOf?: (requestId: string) => (() => number) | undefined,
): () => void {
  const requests = new Map<string, RequestStages>();
  const close = (requestId: string, request: RequestStages) => {
    const { open } = request;
    if (!open) return;
    request.open = undefined;
    request.mark = open.endTime;
    const { stage, startTime, endTime, outcome } = open;
    const durationMs = endTime - startTime;
    request.closed.push({ requestId, stage, startTime, endTime, durationMs, measured: false, outcome });
  };
  const step = (name: keyof GatewayEvents, event: Record<string, unknown> & { requestId: string }) => {
    const request = requests.get(event.requestId);
    if (!request) return;
    const stage = stageOf(name, event, request.dispatched);
    if (!stage) return;
    const at = request.now();
    if (request.open?.stage !== stage) {
      close(event.requestId, request);
      const reported =
        typeof event.durationMs === 'number' && stage === 'audit' ? at - event.durationMs : undefined;
      const startTime = Math.max(request.mark, reported ?? request.mark);
      request.open = { stage, startTime, endTime: at, outcome: 'ok', succeeded: 0 };
    }
    const open = request.open as OpenStage;
    open.endTime = at;
    open.outcome = outcomeAfter(open, name, event);
    if (stage === 'dispatch') request.dispatched = true;
  };
  const listeners: GatewayListeners = {
    'request-start': (event) => {
      const now = clockOf?.(event.requestId) ?? anchoredClock();
      requests.set(event.requestId, { now, mark: now(), dispatched: false, closed: [] });
    },
    'request-end': (event) => {
      const request = requests.get(event.requestId);
      requests.delete(event.requestId);
      if (!request) return;
      close(event.requestId, request);
      for (const timing of applyMeasuredTimings(request.closed, event.timings, request.now()))
        onStage(timing);
    },
  };
  const staged = [
    'model-resolve',
    'rate-limit',
    'guardrail-verdict',
    'budget-reserve',
    'provider-call-start',
    'provider-call-end',
    'provider-retry',
    'model-fallback',
    'storage-put',
    'budget-settle',
    'audit-write',
    'audit-error',
  ] as const;
  for (const name of staged)
    (listeners as Record<string, (event: never) => void>)[name] = (event) =>
      step(name, event as Record<string, unknown> & { requestId: string });
  const unsubscribe = subscribe(events, listeners);
  return () => {
    unsubscribe();
    requests.clear();
  };
}

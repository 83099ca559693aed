import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import type { BudgetRule, BudgetStore } from '../budget/budget-store.ts';
import { TOKENS } from '../container/tokens.ts';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import { type BudgetSource, observeBudgets } from './budget-gauge.ts';
import { subscribeMetrics, subscribeStageMetrics } from './gateway-metrics.ts';
import { subscribeTraces } from './gateway-traces.ts';

/** The instrumentation scope pixelgate reports under. */
export const INSTRUMENTATION_SCOPE = '@pixelgate/core';

/** Options of {@link instrumentGateway}. */
export interface InstrumentGatewayOptions {
  /** Where spans go; default: the global tracer provider's tracer for `@pixelgate/core`. */
  tracer?: Tracer;
  /** Where metrics go; default: the global meter provider's meter for `@pixelgate/core`. */
  meter?: Meter;
  /** Turn off traces or metrics (both on by default). */
  traces?: boolean;
  metrics?: boolean;
}

/**
 * The parts of a gateway the instrumentation reads: its events, and (for the budget gauge) its
 * budget rules and store. A `Gateway` from `createGateway` has all of them.
 */
export interface InstrumentedGateway {
  events: GatewayEventEmitter;
  config?: { budgets: { rules: ReadonlyArray<BudgetRule> } };
  container?: { resolve<T>(token: symbol): T };
}

/** The budget rules and store of a gateway that has budgets, else undefined. */
function budgetSource(gateway: InstrumentedGateway): BudgetSource | undefined {
  const rules = gateway.config?.budgets.rules ?? [];
  if (!rules.length || !gateway.container) return undefined;
  return { rules, store: gateway.container.resolve<BudgetStore>(TOKENS.BudgetStore) };
}

/** What {@link instrumentGateway} returns. */
export interface GatewayInstrumentation {
  /** Stops recording (ends spans still open). */
  stop(): void;
}

/**
 * Reports a gateway's requests to OpenTelemetry: spans per request, pipeline stage and provider
 * call, with the GenAI semantic-convention attributes; metrics for requests by outcome, model and
 * provider, latency, stage durations, images, cost, guardrail verdicts, retries, fallbacks,
 * refusals and the budget remaining.
 *
 * Only `@opentelemetry/api` is used (an optional peer dependency of `@pixelgate/core`, imported by
 * this entry alone): with no SDK registered, everything is a no-op; the application chooses the
 * SDK, exporters and sampling. Attributes carry ids, model names, counts, durations and error
 * codes, never prompts, keys or image data.
 */
export function instrumentGateway(
  gateway: InstrumentedGateway,
  options: InstrumentGatewayOptions = {},
): GatewayInstrumentation {
  const stops: Array<() => void> = [];
  if (options.traces !== false)
    stops.push(subscribeTraces(gateway.events, options.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE)));
  if (options.metrics !== false) {
    const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE);
    stops.push(subscribeMetrics(gateway.events, meter), subscribeStageMetrics(gateway.events, meter));
    const budgets = budgetSource(gateway);
    if (budgets) stops.push(observeBudgets(gateway.events, meter, budgets));
  }
  return {
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

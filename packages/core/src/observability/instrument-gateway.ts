import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import { subscribeMetrics } from './gateway-metrics.ts';
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

/** What {@link instrumentGateway} returns. */
export interface GatewayInstrumentation {
  /** Stops recording (ends spans still open). */
  stop(): void;
}

/**
 * Reports a gateway's requests to OpenTelemetry: spans per request, provider call and timed
 * stage, with the GenAI semantic-convention attributes; metrics for requests by outcome, model and
 * provider, latency, images, cost, guardrail verdicts, retries, fallbacks and refusals.
 *
 * Only `@opentelemetry/api` is used (an optional peer dependency of `@pixelgate/core`, imported by
 * this entry alone): with no SDK registered, everything is a no-op; the application chooses the
 * SDK, exporters and sampling. Attributes carry ids, model names, counts, durations and error
 * codes, never prompts, keys or image data.
 */
export function instrumentGateway(
  gateway: { events: GatewayEventEmitter },
  options: InstrumentGatewayOptions = {},
): GatewayInstrumentation {
  const stops: Array<() => void> = [];
  if (options.traces !== false)
    stops.push(subscribeTraces(gateway.events, options.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE)));
  if (options.metrics !== false)
    stops.push(subscribeMetrics(gateway.events, options.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE)));
  return {
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

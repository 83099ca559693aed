/**
 * `@pixelgate/core/observability`: OpenTelemetry traces and metrics for a gateway. The only entry
 * of core that imports `@opentelemetry/api` (an optional peer dependency): install it to use this
 * entry; the rest of core works without it.
 * @packageDocumentation
 */
export { ATTR, GENERATE_OPERATION } from './observability/attributes.ts';
export { BUDGET_GAUGE_TENANTS } from './observability/budget-gauge.ts';
export {
  type GatewayInstrumentation,
  INSTRUMENTATION_SCOPE,
  type InstrumentedGateway,
  type InstrumentGatewayOptions,
  instrumentGateway,
} from './observability/instrument-gateway.ts';
export { type StageOutcome, TELEMETRY_STAGES, type TelemetryStage } from './observability/stage-timer.ts';

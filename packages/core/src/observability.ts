/**
 * `@pixelgate/core/observability`: OpenTelemetry traces and metrics for a gateway. The only entry
 * of core that imports `@opentelemetry/api` (an optional peer dependency): install it to use this
 * entry; the rest of core works without it.
 * @packageDocumentation
 */
export { ATTR, GENERATE_OPERATION } from './observability/attributes.ts';
export {
  type GatewayInstrumentation,
  INSTRUMENTATION_SCOPE,
  type InstrumentGatewayOptions,
  instrumentGateway,
} from './observability/instrument-gateway.ts';

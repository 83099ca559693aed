import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Gateway } from '@pixelgate/core';
import { INSTRUMENTATION_SCOPE, instrumentGateway } from '@pixelgate/core/observability';

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`); traces go to `<url>/v1/traces`. */
  otlpEndpoint?: string;
  /** The environment: the standard OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and OTEL_SERVICE_NAME apply. */
  env: Readonly<Record<string, string | undefined>>;
  /** Package version, reported as service.version. */
  version: string;
}

/** The telemetry of a running server. */
export interface ServeTelemetry {
  /** Where traces go, if anywhere (for the startup log line). */
  tracesTo?: string;
  /** The current metrics in the Prometheus text format. */
  prometheus(): Promise<string>;
  /** Stops recording and flushes spans not yet exported. */
  shutdown(): Promise<void>;
}

/**
 * The server's OpenTelemetry SDK: metrics always (read by `GET /metrics` in the Prometheus text
 * format), traces when an OTLP endpoint is configured (the config's `telemetry.otlpEndpoint`, or
 * the standard OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The providers
 * stay private to the server (nothing is registered globally), so an embedding process keeps
 * its own OpenTelemetry setup.
 */
export async function startTelemetry(gateway: Gateway, options: TelemetryOptions): Promise<ServeTelemetry> {
  const resource = resourceFromAttributes({
    'service.name': options.env.OTEL_SERVICE_NAME || 'pixelgate',
    'service.version': options.version,
  });
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [exporter] });
  const serializer = new PrometheusSerializer();
  const envEndpoint =
    options.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || options.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  let tracerProvider: BasicTracerProvider | undefined;
  let tracesTo: string | undefined;
  if (options.otlpEndpoint || envEndpoint) {
    // Loaded only when used: the OTLP exporter is the heaviest part of the SDK.
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const url = options.otlpEndpoint ? `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` : undefined;
    tracesTo = url ?? envEndpoint;
    tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {}))],
    });
  }
  const instrumentation = instrumentGateway(gateway, {
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE, options.version),
    ...(tracerProvider ? { tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE, options.version) } : {}),
    traces: tracerProvider !== undefined,
  });
  return {
    ...(tracesTo ? { tracesTo } : {}),
    async prometheus() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      instrumentation.stop();
      await Promise.all([tracerProvider?.shutdown(), meterProvider.shutdown()]);
    },
  };
}

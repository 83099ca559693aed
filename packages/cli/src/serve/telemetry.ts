import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Gateway } from '@pixelgate/core';
import { INSTRUMENTATION_SCOPE, instrumentGateway } from '@pixelgate/core/observability';
import { createOtlpExport } from './otlp-exporters.ts';
import { loggableUrl, type OtlpSettings } from './otlp-settings.ts';

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** What to export over OTLP/HTTP (see `resolveOtlpSettings`); nothing when undefined. */
  otlp?: OtlpSettings;
  /** The environment: OTEL_SERVICE_NAME names the service. */
  env: Readonly<Record<string, string | undefined>>;
  /** Package version, reported as service.version. */
  version: string;
}

/** The telemetry of a running server. */
export interface ServeTelemetry {
  /** Where traces go, if anywhere (for the startup log line; no credentials). */
  tracesTo?: string;
  /** Where metrics are pushed, if anywhere (for the startup log line; no credentials). */
  metricsTo?: string;
  /** The current metrics in the Prometheus text format. */
  prometheus(): Promise<string>;
  /** Stops recording, pushes the last metrics and flushes spans not yet exported. */
  shutdown(): Promise<void>;
}

/**
 * The server's OpenTelemetry SDK: metrics always (read by `GET /metrics` in the Prometheus text
 * format, and pushed over OTLP when configured), traces when OTLP traces are configured. The
 * providers stay private to the server (nothing is registered globally), so an embedding process
 * keeps its own OpenTelemetry setup.
 */
export async function startTelemetry(gateway: Gateway, options: TelemetryOptions): Promise<ServeTelemetry> {
  const resource = resourceFromAttributes({
    'service.name': options.env.OTEL_SERVICE_NAME || 'pixelgate',
    'service.version': options.version,
  });
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const otlp = options.otlp ? await createOtlpExport(options.otlp) : {};
  const meterProvider = new MeterProvider({
    resource,
    readers: otlp.metricReader ? [exporter, otlp.metricReader] : [exporter],
  });
  const serializer = new PrometheusSerializer();
  const tracerProvider = otlp.spanProcessor
    ? new BasicTracerProvider({ resource, spanProcessors: [otlp.spanProcessor] })
    : undefined;
  const instrumentation = instrumentGateway(gateway, {
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE, options.version),
    ...(tracerProvider ? { tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE, options.version) } : {}),
    traces: tracerProvider !== undefined,
  });
  const tracesUrl = otlp.spanProcessor ? options.otlp?.tracesUrl : undefined;
  const metricsUrl = otlp.metricReader ? options.otlp?.metricsUrl : undefined;
  return {
    ...(tracesUrl ? { tracesTo: loggableUrl(tracesUrl) } : {}),
    ...(metricsUrl ? { metricsTo: loggableUrl(metricsUrl) } : {}),
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

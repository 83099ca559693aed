import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpSettings } from './otlp-settings.ts';

/** The OTLP/HTTP parts `serve` adds to its OpenTelemetry providers. */
export interface OtlpExport {
  /** Pushes metrics every `metricsIntervalMs` (and once more on shutdown). */
  metricReader?: MetricReader;
  /** Batches spans and posts them (flushed on shutdown). */
  spanProcessor?: SpanProcessor;
}

/**
 * Builds the OTLP/HTTP exporters (JSON encoding) for the signals that have a URL. The exporter
 * packages are imported here, only when OTLP is configured: a `serve` without it never loads them.
 */
export async function createOtlpExport(settings: OtlpSettings): Promise<OtlpExport> {
  const { headers } = settings;
  const parts: OtlpExport = {};
  if (settings.metricsUrl) {
    const [{ OTLPMetricExporter }, { PeriodicExportingMetricReader }] = await Promise.all([
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/sdk-metrics'),
    ]);
    const interval = settings.metricsIntervalMs;
    parts.metricReader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: settings.metricsUrl, headers }),
      exportIntervalMillis: interval,
      // The SDK refuses a timeout longer than the interval.
      exportTimeoutMillis: Math.min(interval, 30_000),
    });
  }
  if (settings.tracesUrl) {
    const [{ OTLPTraceExporter }, { BatchSpanProcessor }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/sdk-trace-base'),
    ]);
    parts.spanProcessor = new BatchSpanProcessor(
      new OTLPTraceExporter({ url: settings.tracesUrl, headers }),
      {
        ...(settings.spanDelayMs ? { scheduledDelayMillis: settings.spanDelayMs } : {}),
      },
    );
  }
  return parts;
}

import { z } from 'zod';
import { UsageError } from '../io.ts';

/** `telemetry.otlp` in the config: where `serve` exports metrics and traces over OTLP/HTTP. */
export const otlpConfigSchema = z.strictObject({
  /** OTLP/HTTP base URL (`http://collector:4318`): `/v1/metrics` and `/v1/traces` are appended. */
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /** Headers sent with every export (e.g. `authorization`): secrets, never logged. */
  headers: z.record(z.string().min(1), z.string()).optional(),
  /** How often metrics are pushed, in ms (default 15000; OTEL_METRIC_EXPORT_INTERVAL otherwise). */
  metricsIntervalMs: z.int().min(100).max(3_600_000).optional(),
  /** Export traces (default true). */
  traces: z.boolean().default(true),
  /** Export metrics (default true). */
  metrics: z.boolean().default(true),
});

/** The parsed `telemetry.otlp` section. */
export type OtlpConfig = z.infer<typeof otlpConfigSchema>;

/** What `serve` exports over OTLP, resolved from the config and the environment. */
export interface OtlpSettings {
  /** Full URL metrics are posted to, when metrics are exported. */
  metricsUrl?: string;
  /** Full URL traces are posted to, when traces are exported. */
  tracesUrl?: string;
  /** Headers of every export (secrets). */
  headers: Record<string, string>;
  /** Metrics push interval in ms. */
  metricsIntervalMs: number;
  /** Span batch delay in ms (OTEL_BSP_SCHEDULE_DELAY, else the SDK's 5000). */
  spanDelayMs?: number;
}

const DEFAULT_METRICS_INTERVAL_MS = 15_000;

/**
 * Resolves the OTLP export: the config's `telemetry.otlp` wins over the standard variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT,
 * OTEL_EXPORTER_OTLP_HEADERS). Headers are merged the way the OpenTelemetry exporters merge them
 * (they read OTEL_EXPORTER_OTLP_HEADERS from the process themselves): the variable's, then the
 * config's on top, key by key. Undefined when
 * nothing is to be exported; a `telemetry.otlp` section with no endpoint anywhere is an error
 * rather than a silently idle exporter.
 */
export function resolveOtlpSettings(
  config: OtlpConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): OtlpSettings | undefined {
  const base = config?.endpoint?.replace(/\/+$/, '');
  const envBase = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim().replace(/\/+$/, '');
  const urlFor = (signal: 'traces' | 'metrics', variable: string) =>
    base
      ? `${base}/v1/${signal}`
      : env[variable]?.trim() || (envBase ? `${envBase}/v1/${signal}` : undefined);
  const tracesUrl =
    config?.traces === false ? undefined : urlFor('traces', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const metricsUrl =
    config?.metrics === false ? undefined : urlFor('metrics', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (!tracesUrl && !metricsUrl) {
    if (config && config.traces !== false && config.metrics !== false)
      throw new UsageError(
        'telemetry.otlp needs an endpoint: set telemetry.otlp.endpoint (http://collector:4318) or OTEL_EXPORTER_OTLP_ENDPOINT',
      );
    return undefined;
  }
  // As the OpenTelemetry exporters themselves do: the variable's headers, the config's on top.
  const headers = { ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), ...config?.headers };
  const spanDelayMs = positiveInt(env.OTEL_BSP_SCHEDULE_DELAY, 'OTEL_BSP_SCHEDULE_DELAY');
  return {
    ...(tracesUrl ? { tracesUrl } : {}),
    ...(metricsUrl ? { metricsUrl } : {}),
    headers,
    metricsIntervalMs:
      config?.metricsIntervalMs ??
      positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 'OTEL_METRIC_EXPORT_INTERVAL') ??
      DEFAULT_METRICS_INTERVAL_MS,
    ...(spanDelayMs ? { spanDelayMs } : {}),
  };
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS: `key=value` pairs separated by commas, values percent-encoded (the
 * OpenTelemetry convention). A malformed pair is refused by name, never with its value.
 */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!value?.trim()) return headers;
  for (const [index, pair] of value.split(',').entries()) {
    const separator = pair.indexOf('=');
    const key = pair.slice(0, Math.max(separator, 0)).trim();
    if (separator <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key))
      throw new UsageError(
        `OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas; pair ${index + 1} is not`,
      );
    headers[key] = safeDecode(pair.slice(separator + 1).trim());
  }
  return headers;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1)
    throw new UsageError(`${name} must be a whole number of milliseconds (1 or more), got "${value}"`);
  return Number(value);
}

/** The endpoint as safe to log: origin and path only (no user:password, no query). */
export function loggableUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * The OTLP section of `telemetry`, with the deprecated `otlpEndpoint` read as `otlp.endpoint`.
 * @throws UsageError when both are set: which one is meant cannot be guessed.
 */
export function otlpConfigOf(
  telemetry: { otlp?: OtlpConfig; otlpEndpoint?: string } | undefined,
): OtlpConfig | undefined {
  if (!telemetry?.otlpEndpoint) return telemetry?.otlp;
  if (telemetry.otlp)
    throw new UsageError('telemetry.otlpEndpoint and telemetry.otlp are both set; keep telemetry.otlp only');
  return otlpConfigSchema.parse({ endpoint: telemetry.otlpEndpoint });
}

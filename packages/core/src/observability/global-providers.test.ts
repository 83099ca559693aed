import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway } from '../gateway/create-gateway.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import { createMockImageProvider } from '../testing/mock-image-provider.ts';
import { instrumentGateway } from './instrument-gateway.ts';

afterEach(() => {
  metrics.disable();
});

describe('metrics through the global meter provider', () => {
  it('reach the exporter the application registered (as an OTLP exporter would be), with no meter passed', async () => {
    // What an operator's OpenTelemetry SDK setup does: a periodic reader around an exporter
    // (OTLPMetricExporter in production, the in-memory one here), registered globally.
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    const gateway = createGateway({
      providers: [createMockImageProvider()],
      auditSink: new MemoryAuditSink(),
      storageAdapter: createMemoryStorage(),
      budgets: { rules: [{ scope: 'tenant', id: 'acme', period: 'month', limitUsd: 5 }] },
    });
    const instrumentation = instrumentGateway(gateway, { traces: false });
    try {
      await gateway.generate(
        { prompt: 'a lighthouse', model: 'mock/mock-image' },
        { tenant: { tenantId: 'acme' } },
      );
      await reader.forceFlush();
      const names = exporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics)
        .filter((scope) => scope.scope.name === '@pixelgate/core')
        .flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
      expect(names).toEqual(
        expect.arrayContaining([
          'pixelgate.requests',
          'pixelgate.request.duration',
          'pixelgate.stage.duration',
          'pixelgate.budget.remaining',
        ]),
      );
    } finally {
      instrumentation.stop();
      await gateway.close();
      await provider.shutdown();
    }
  });
});

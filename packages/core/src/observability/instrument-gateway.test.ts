import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { BackendError } from '../errors/gateway-error.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import type { GatewayOptions } from '../gateway/gateway-options.ts';
import { createBlocklistGuardrail } from '../guardrails/index.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import { createMockImageProvider } from '../testing/mock-image-provider.ts';
import { solidPng } from '../testing/solid-png.ts';
import { type GatewayInstrumentation, instrumentGateway } from './instrument-gateway.ts';

/** A metric reader a test collects from on demand (the SDK's readers export on a timer). */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const PROMPT = 'a lighthouse at dusk';
/** A media signing secret: the one key a gateway holds itself. */
const SIGNING_SECRET = 'media-signing-secret-0123456789abcdef';
const LONG_BASE64 = /[A-Za-z0-9+/]{120,}/;

let spans: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let reader: CollectingReader;
let meterProvider: MeterProvider;
let gateway: Gateway;
let instrumentation: GatewayInstrumentation;

beforeEach(() => {
  spans = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  reader = new CollectingReader();
  meterProvider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  instrumentation?.stop();
  await gateway?.close();
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
});

function setup(options: Partial<GatewayOptions> = {}) {
  gateway = createGateway({
    providers: [createMockImageProvider()],
    auditSink: new MemoryAuditSink(),
    storageAdapter: createMemoryStorage(),
    dispatch: { retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2 } },
    ...options,
  });
  instrumentation = instrumentGateway(gateway, {
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
  });
  return gateway;
}

async function metricsByName(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(
    resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .map((metric) => [metric.descriptor.name, metric]),
  );
}

function points(metric: MetricData | undefined): Array<DataPoint<unknown>> {
  if (!metric) throw new Error('metric not recorded');
  return metric.dataPoints as Array<DataPoint<unknown>>;
}

function spanNamed(name: string): ReadableSpan {
  const span = spans.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span ${name}; got ${spans.getFinishedSpans().map((s) => s.name)}`);
  return span;
}

/** The request spans (the only ones carrying the request id), in the order they ended. */
function requestSpans(): ReadableSpan[] {
  return spans.getFinishedSpans().filter((span) => span.attributes['pixelgate.request_id'] !== undefined);
}

/** Everything the telemetry recorded, as one string to search for leaks. */
async function everything(): Promise<string> {
  const recorded = spans.getFinishedSpans().map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    status: span.status,
  }));
  const { resourceMetrics } = await reader.collect();
  return JSON.stringify({ recorded, metrics: resourceMetrics.scopeMetrics });
}

describe('instrumentGateway', () => {
  it('records a request span, a provider-call span and stage spans with GenAI attributes', async () => {
    await setup().generate(
      { prompt: PROMPT, model: 'mock/mock-image', size: '256x256' },
      { tenant: { tenantId: 'acme' } },
    );
    const [request] = requestSpans();
    if (!request) throw new Error('no request span');
    expect(request.name).toBe('generate_content mock/mock-image');
    expect(request.kind).toBe(SpanKind.INTERNAL);
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.output.type': 'image',
      'gen_ai.request.model': 'mock/mock-image',
      'gen_ai.provider.name': 'mock',
      'pixelgate.tenant_id': 'acme',
      'pixelgate.outcome': 'success',
      'pixelgate.images': 1,
    });
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    const call = spans.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    expect(call?.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'mock',
      'gen_ai.request.model': 'mock/mock-image',
      'pixelgate.attempt': 0,
      'pixelgate.images': 1,
    });
    for (const child of [spanNamed('storage put'), spanNamed('audit write'), call as ReadableSpan]) {
      expect(child.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    }
  });

  it('counts requests, images, cost and latency by outcome, model and provider', async () => {
    const g = setup();
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image', n: 2, quality: 'low' });
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image', size: '100x100' }).catch(() => {});
    const metrics = await metricsByName();
    const requests = points(metrics.get('pixelgate.requests'));
    expect(requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          value: 1,
          attributes: {
            'gen_ai.request.model': 'mock/mock-image',
            'gen_ai.provider.name': 'mock',
            'pixelgate.outcome': 'success',
          },
        }),
        expect.objectContaining({
          value: 1,
          attributes: expect.objectContaining({
            'pixelgate.outcome': 'rejected',
            'error.type': 'VALIDATION_ERROR',
          }),
        }),
      ]),
    );
    expect(points(metrics.get('pixelgate.images'))[0]?.value).toBe(2);
    expect(points(metrics.get('pixelgate.cost'))[0]?.value).toBeCloseTo(0.02);
    const latency = points(metrics.get('pixelgate.request.duration'));
    expect(latency.reduce((sum, point) => sum + (point.value as Histogram).count, 0)).toBe(2);
    expect(metrics.get('pixelgate.request.duration')?.descriptor.unit).toBe('s');
    const calls = points(metrics.get('gen_ai.client.operation.duration'));
    expect(calls[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'mock',
    });
  });

  it('marks failed provider calls as errors, and counts retries and the fallback', async () => {
    const broken = createMockImageProvider({
      id: 'broken',
      generate: async () =>
        Promise.reject(new BackendError('down', { reason: 'upstream_unavailable', provider: 'broken' })),
    });
    const g = setup({
      providers: [broken, createMockImageProvider({ id: 'healthy' })],
      dispatch: {
        retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2 },
        fallbacks: { 'broken/mock-image': ['healthy/mock-image'] },
      },
    });
    await g.generate({ model: 'broken/mock-image', prompt: PROMPT });
    const failedCalls = spans
      .getFinishedSpans()
      .filter(
        (span) => span.kind === SpanKind.CLIENT && span.attributes['gen_ai.provider.name'] === 'broken',
      );
    expect(failedCalls).toHaveLength(2);
    for (const span of failedCalls) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'BACKEND_ERROR',
        'pixelgate.reason': 'upstream_unavailable',
      });
    }
    const [request] = requestSpans();
    expect(request?.name).toBe('generate_content broken/mock-image');
    expect(request?.attributes['gen_ai.response.model']).toBe('healthy/mock-image');
    expect(request?.events.map((event) => event.name)).toEqual(
      expect.arrayContaining(['pixelgate.retry', 'pixelgate.fallback']),
    );
    const metrics = await metricsByName();
    expect(points(metrics.get('pixelgate.provider.retries'))[0]).toMatchObject({
      value: 1,
      attributes: { 'gen_ai.provider.name': 'broken', 'pixelgate.reason': 'upstream_unavailable' },
    });
    expect(points(metrics.get('pixelgate.fallbacks'))[0]).toMatchObject({
      value: 1,
      attributes: {
        'pixelgate.fallback.from': 'broken/mock-image',
        'pixelgate.fallback.to': 'healthy/mock-image',
      },
    });
  });

  it('sets error status on a failed request, and records guardrail verdicts', async () => {
    const failing = createMockImageProvider({
      generate: async () =>
        Promise.reject(new BackendError('nope', { reason: 'upstream_auth', provider: 'mock' })),
    });
    const g = setup({
      providers: [failing],
      guardrails: [createBlocklistGuardrail({ categories: { weapons: { terms: ['rifle'] } } })],
    });
    await expect(g.generate({ model: 'mock/mock-image', prompt: PROMPT })).rejects.toThrow();
    await expect(g.generate({ model: 'mock/mock-image', prompt: 'a rifle' })).rejects.toThrow();
    const [failed, blocked] = requestSpans();
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'BACKEND_ERROR' });
    expect(blocked?.attributes).toMatchObject({
      'pixelgate.outcome': 'blocked',
      'error.type': 'CONTENT_BLOCKED',
    });
    expect(spans.getFinishedSpans().some((span) => span.name.startsWith('guardrail '))).toBe(true);
    const verdicts = points((await metricsByName()).get('pixelgate.guardrail.verdicts'));
    expect(verdicts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          value: 1,
          attributes: expect.objectContaining({ 'pixelgate.guardrail.action': 'block' }),
        }),
        expect.objectContaining({
          value: 1,
          attributes: expect.objectContaining({ 'pixelgate.guardrail.action': 'allow' }),
        }),
      ]),
    );
  });

  it('records the token usage a provider reports, on the request span and as gen_ai.client.token.usage', async () => {
    const counting = createMockImageProvider({
      generate: async (call) => ({
        images: Array.from({ length: call.n }, () => ({ bytes: solidPng(256, 256), mediaType: 'image/png' })),
        usage: { inputTextTokens: 40, inputImageTokens: 0, outputImageTokens: 1056 },
      }),
    });
    await setup({ providers: [counting] }).generate({
      prompt: PROMPT,
      model: 'mock/mock-image',
      size: '256x256',
    });
    expect(requestSpans()[0]?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 1056,
    });
    const usage = points((await metricsByName()).get('gen_ai.client.token.usage'));
    expect(
      usage.map((point) => [point.attributes['gen_ai.token.type'], (point.value as Histogram).sum]),
    ).toEqual(
      expect.arrayContaining([
        ['input', 40],
        ['output', 1056],
      ]),
    );
  });

  it('never records the prompt, a key or image data', async () => {
    const g = setup({ mediaSigningKeys: [{ id: 'k1', secret: SIGNING_SECRET }] });
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image', n: 2 });
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image', size: '3x3' }).catch(() => {});
    const recorded = await everything();
    expect(spans.getFinishedSpans().length).toBeGreaterThan(3);
    expect(recorded).not.toContain('lighthouse');
    expect(recorded).not.toContain(SIGNING_SECRET);
    expect(recorded).not.toMatch(LONG_BASE64);
  });

  it('stops recording once stopped, and records nothing when both signals are off', async () => {
    const g = setup();
    instrumentation.stop();
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image' });
    const off = instrumentGateway(g, {
      traces: false,
      metrics: false,
      tracer: tracerProvider.getTracer('t'),
    });
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image' });
    off.stop();
    expect(spans.getFinishedSpans()).toEqual([]);
    expect((await metricsByName()).size).toBe(0);
  });
});

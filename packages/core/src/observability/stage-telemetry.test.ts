import { SpanStatusCode } from '@opentelemetry/api';
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
import type { BudgetStore } from '../budget/budget-store.ts';
import { createMemoryBudgetStore } from '../budget/memory-budget-store.ts';
import { BackendError } from '../errors/gateway-error.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import type { GatewayOptions } from '../gateway/gateway-options.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import { createMockImageProvider } from '../testing/mock-image-provider.ts';
import { BUDGET_GAUGE_TENANTS } from './budget-gauge.ts';
import { type GatewayInstrumentation, instrumentGateway } from './instrument-gateway.ts';

/** A metric reader a test collects from on demand. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const PROMPT = 'a lighthouse at dusk';
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

function setup(options: Partial<GatewayOptions> = {}): Gateway {
  gateway = createGateway({
    providers: [createMockImageProvider()],
    auditSink: new MemoryAuditSink(),
    storageAdapter: createMemoryStorage(),
    dispatch: { retry: { maxRetries: 0 } },
    ...options,
  });
  instrumentation = instrumentGateway(gateway, {
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
  });
  return gateway;
}

async function metric(name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
}

const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;
const stageSpans = (): ReadableSpan[] =>
  spans.getFinishedSpans().filter((span) => span.name.startsWith('stage '));
const requestSpan = (): ReadableSpan => {
  const span = spans.getFinishedSpans().find((candidate) => candidate.attributes['pixelgate.request_id']);
  if (!span) throw new Error('no request span');
  return span;
};

describe('per-stage telemetry', () => {
  it('records one child span per stage that ran, in pipeline order, inside the request span', async () => {
    await setup({
      budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 5 }] },
      rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 10 }] },
    }).generate({ prompt: PROMPT, model: 'mock/mock-image' }, { tenant: { tenantId: 'acme' } });
    const request = requestSpan();
    const stages = stageSpans().sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(stages.map((span) => span.attributes['pixelgate.stage'])).toEqual([
      'resolve',
      'rate_limit',
      'input_guardrails',
      'budget_reserve',
      'dispatch',
      'output_guardrails',
      'store',
      'settle',
      'audit',
    ]);
    for (const [index, span] of stages.entries()) {
      expect(span.name).toBe(`stage ${span.attributes['pixelgate.stage']}`);
      expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(span.attributes['pixelgate.stage.outcome']).toBe('ok');
      expect(Object.keys(span.attributes).sort()).toEqual(['pixelgate.stage', 'pixelgate.stage.outcome']);
      expect(ms(span.endTime)).toBeGreaterThanOrEqual(ms(span.startTime));
      // Within the request span (one clock times every span of a request; 0.01 ms for rounding).
      expect(ms(span.startTime)).toBeGreaterThanOrEqual(ms(request.startTime) - 0.01);
      expect(ms(span.endTime)).toBeLessThanOrEqual(ms(request.endTime) + 0.01);
      const previous = stages[index - 1];
      if (previous) expect(ms(span.startTime)).toBeGreaterThanOrEqual(ms(previous.endTime) - 0.001);
    }
    const durations = (await metric('pixelgate.stage.duration'))?.dataPoints as Array<DataPoint<Histogram>>;
    expect(durations.map((point) => point.attributes['pixelgate.stage']).sort()).toEqual(
      [
        'audit',
        'budget_reserve',
        'dispatch',
        'input_guardrails',
        'output_guardrails',
        'rate_limit',
        'resolve',
        'settle',
        'store',
      ].sort(),
    );
    for (const point of durations) expect(point.value.count).toBe(1);
  });

  it('uses the stage times the runner measured, carried by request-end, over event gaps', async () => {
    // A frozen gateway clock the provider moves on by 4 s: the runner measures dispatch at
    // exactly 4000 ms and every other timed stage at 0, which no wall-clock estimate could give.
    const frozen = Date.now();
    let offset = 0;
    const plain = createMockImageProvider();
    const slow = createMockImageProvider({
      generate: async (call, context) => {
        offset += 4000;
        return plain.generate(call, context);
      },
    });
    const g = setup({
      providers: [slow],
      clock: { now: () => frozen + offset },
      budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 5 }] },
    });
    const ended = new Promise<Record<string, number> | undefined>((resolve) =>
      g.events.once('request-end', (event) => resolve(event.timings)),
    );
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image' });
    expect(await ended).toMatchObject({ validate: 0, dispatch: 4000, store: 0 });
    const points = (await metric('pixelgate.stage.duration'))?.dataPoints as Array<DataPoint<Histogram>>;
    const sum = (stage: string) =>
      points.find((point) => point.attributes['pixelgate.stage'] === stage)?.value.sum;
    expect(sum('dispatch')).toBe(4);
    expect(sum('resolve')).toBe(0);
    expect(sum('store')).toBe(0);
    // Settle and audit are not fully timed by the runner: still estimated, still recorded.
    expect(points.find((point) => point.attributes['pixelgate.stage'] === 'settle')?.value.count).toBe(1);
    expect(points.find((point) => point.attributes['pixelgate.stage'] === 'audit')?.value.count).toBe(1);
    // The spans stay inside the request span even though 4 s did not pass on the wall clock.
    const request = requestSpan();
    for (const span of stageSpans()) {
      expect(ms(span.startTime)).toBeGreaterThanOrEqual(ms(request.startTime) - 0.01);
      expect(ms(span.endTime)).toBeLessThanOrEqual(ms(request.endTime) + 0.01);
    }
  });

  it('marks the stage that refused or failed, in spans and in the stage histogram', async () => {
    const g = setup({ budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 0.001 }] } });
    await expect(g.generate({ prompt: PROMPT, model: 'mock/mock-image' })).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
    });
    const refused = stageSpans().find((span) => span.name === 'stage budget_reserve');
    expect(refused?.attributes['pixelgate.stage.outcome']).toBe('refused');
    expect(stageSpans().some((span) => span.name === 'stage dispatch')).toBe(false);
    expect(refused?.status.code).toBe(SpanStatusCode.UNSET);

    spans.reset();
    const broken = createMockImageProvider({
      id: 'broken',
      generate: () =>
        Promise.reject(new BackendError('down', { reason: 'upstream_unavailable', provider: 'broken' })),
    });
    instrumentation.stop();
    await gateway.close();
    await setup({ providers: [broken] })
      .generate({ prompt: PROMPT, model: 'broken/mock-image' })
      .catch(() => {});
    expect(
      stageSpans().find((span) => span.name === 'stage dispatch')?.attributes['pixelgate.stage.outcome'],
    ).toBe('error');
    const points = (await metric('pixelgate.stage.duration'))?.dataPoints ?? [];
    expect(points.map((point) => point.attributes)).toEqual(
      expect.arrayContaining([
        { 'pixelgate.stage': 'budget_reserve', 'pixelgate.stage.outcome': 'refused' },
        { 'pixelgate.stage': 'dispatch', 'pixelgate.stage.outcome': 'error' },
      ]),
    );
  });
});

describe('pixelgate.budget.remaining', () => {
  const remaining = async (): Promise<Array<Record<string, string | number>>> =>
    ((await metric('pixelgate.budget.remaining'))?.dataPoints ?? []).map((point) => ({
      ...(point.attributes as Record<string, string>),
      usd: Number((point.value as number).toFixed(6)),
    }));

  it('reports named tenants and the tenants seen, from the budget store', async () => {
    const g = setup({
      budgets: {
        rules: [
          { scope: 'tenant', id: 'acme', period: 'month', limitUsd: 5 },
          { scope: 'tenant', period: 'day', limitUsd: 1 },
          { scope: 'user', period: 'day', limitUsd: 1 },
        ],
      },
    });
    const series = (id: string, period: string, usd: number) => ({
      'pixelgate.budget.scope': 'tenant',
      'pixelgate.budget.id': id,
      'pixelgate.budget.period': period,
      usd: Number(usd.toFixed(6)),
    });
    expect(await remaining()).toEqual([series('acme', 'month', 5)]);
    const acme = await g.generate(
      { prompt: PROMPT, model: 'mock/mock-image', n: 2 },
      { tenant: { tenantId: 'acme', userId: 'u1' } },
    );
    const globex = await g.generate(
      { prompt: PROMPT, model: 'mock/mock-image' },
      { tenant: { tenantId: 'globex' } },
    );
    const spent = { acme: acme.cost.actualUsd ?? 0, globex: globex.cost.actualUsd ?? 0 };
    expect(spent.acme).toBeGreaterThan(0);
    const points = await remaining();
    expect(points).toEqual(
      expect.arrayContaining([
        series('acme', 'month', 5 - spent.acme),
        series('acme', 'day', 1 - spent.acme),
        series('globex', 'day', 1 - spent.globex),
      ]),
    );
    expect(points).toHaveLength(3);
  });

  it('reports at most the first tenants per * rule, and skips a store that does not answer', async () => {
    const memory = createMemoryBudgetStore();
    let down = false;
    const store: BudgetStore = {
      reserve: (...args) => memory.reserve(...args),
      settle: (...args) => memory.settle(...args),
      release: (...args) => memory.release(...args),
      used: (key) => (down ? Promise.reject(new Error('connection refused')) : memory.used(key)),
    };
    const g = setup({
      budgetStore: store,
      budgets: { rules: [{ scope: 'tenant', period: 'total', limitUsd: 1 }] },
    });
    const tenants = BUDGET_GAUGE_TENANTS + 3;
    for (let index = 0; index < tenants; index++)
      await g.generate({ prompt: PROMPT, model: 'mock/mock-image' }, { tenant: { tenantId: `t${index}` } });
    const before = await remaining();
    const ids = before.map((point) => point['pixelgate.budget.id']);
    expect(ids).toHaveLength(BUDGET_GAUGE_TENANTS);
    expect(ids).toContain('t0');
    expect(ids).not.toContain(`t${tenants - 1}`);
    const t0 = () =>
      remaining().then(
        (points) => points.find((point) => point['pixelgate.budget.id'] === 't0')?.usd as number,
      );
    const first = await t0();
    down = true;
    await g
      .generate({ prompt: PROMPT, model: 'mock/mock-image' }, { tenant: { tenantId: 't0' } })
      .catch(() => {});
    // The collection still answers (the reader keeps the last value) instead of failing.
    expect(await t0()).toBe(first);
    down = false;
    await g.generate({ prompt: PROMPT, model: 'mock/mock-image' }, { tenant: { tenantId: 't0' } });
    expect(await t0()).toBeLessThan(first as number);
  });
});

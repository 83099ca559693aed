import { describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../audit/audit-record.ts';
import type { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { createMockImageProvider } from '../testing/mock-image-provider.ts';
import { stageDeps } from '../testing/pipeline-stage-kit.ts';
import { solidPng } from '../testing/solid-png.ts';
import { PipelineRunner } from './runner.ts';
import { insertStageAfter, type Stage } from './stage.ts';
import { GENERATE_STAGES } from './stages/index.ts';

const blocker: Guardrail = {
  id: 'blocker',
  stage: 'input',
  check: ({ prompt }) => ({ action: prompt.includes('bad') ? 'block' : 'allow', labels: [] }),
};

describe('PipelineRunner', () => {
  it('lists the stages in order, as data', () => {
    expect(GENERATE_STAGES.map((s) => s.name)).toEqual([
      'parse',
      'resolve',
      'prepare-inputs',
      'rate-limit',
      'input-guardrails',
      'budget-reserve',
      'dispatch',
      'output-guardrails',
      'store',
      'deliver',
      'settle',
    ]);
  });

  it('runs an inserted stage in its place: a provenance-like stage changes the bytes before they are stored', async () => {
    const marked = solidPng(8, 8);
    const provenance: Stage = {
      name: 'provenance',
      run(ctx) {
        for (const image of ctx.dispatched!.result.images) image.bytes = marked;
      },
    };
    const deps = stageDeps({ now: Date.now() });
    const runner = new PipelineRunner(
      deps,
      insertStageAfter(GENERATE_STAGES, 'output-guardrails', provenance),
    );
    expect(runner.stages.map((s) => s.name).slice(7, 9)).toEqual(['output-guardrails', 'provenance']);
    const result = await runner.generate({ model: 'mock/mock-image', prompt: 'x' });
    expect(result.images[0]!.sizeBytes).toBe(marked.byteLength);
    expect(Buffer.from(result.data[0]!.b64_json!, 'base64').equals(Buffer.from(marked))).toBe(true);
    expect(() => insertStageAfter(GENERATE_STAGES, 'nope', provenance)).toThrow();
    expect(() => insertStageAfter(GENERATE_STAGES, 'store', GENERATE_STAGES[0]!)).toThrow();
  });

  it('writes exactly one schema-valid record on every path, undoing held stages on failure', async () => {
    const filtered = createMockImageProvider({
      id: 'filtered',
      generate: (call) => ({ images: [], filteredCount: call.n }),
    });
    const deps = stageDeps({
      providers: [createMockImageProvider(), filtered],
      guardrails: [blocker],
      config: {
        budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 1 }] },
        dispatch: { retry: { maxRetries: 0 } },
      },
    });
    const runner = new PipelineRunner(deps);
    const cases: Array<[unknown, string]> = [
      [{ model: 'mock/mock-image', prompt: 'fine' }, 'success'],
      [{ model: 'mock/mock-image', prompt: 'x', size: '3x3' }, 'rejected'],
      [{ prompt: 'x' }, 'rejected'],
      [{ model: 'mock/mock-image', prompt: 'bad' }, 'blocked'],
      [{ model: 'filtered/mock-image', prompt: 'x' }, 'blocked'],
      [null, 'rejected'],
    ];
    for (const [input] of cases) await runner.generate(input).catch(() => undefined);
    const records = (deps.auditSink as MemoryAuditSink).records;
    expect(records.map((r) => r.outcome)).toEqual(cases.map(([, outcome]) => outcome));
    for (const record of records) expect(auditRecordSchema.parse(record)).toEqual(record);
    // The filtered request's reservation was released: the whole budget minus the success is left.
    const settles = deps.emitted.filter((e) => e.name === 'budget-settle').map((e) => e.event);
    expect(settles).toEqual([
      expect.objectContaining({ released: false, actualUsd: 0.04 }),
      expect.objectContaining({ released: true }),
    ]);
    expect(deps.emitted.filter((e) => e.name === 'request-end')).toHaveLength(cases.length);
  });

  it('ends a request whose provider hangs as TIMEOUT at the deadline, with its record', async () => {
    const hanging = createMockImageProvider({
      generate: (_call, context) =>
        new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason)),
        ),
    });
    const deps = stageDeps({
      providers: [hanging],
      config: { dispatch: { timeoutMs: 50, retry: { maxRetries: 0 } } },
    });
    const runner = new PipelineRunner(deps);
    await expect(runner.generate({ model: 'mock/mock-image', prompt: 'x' })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect((deps.auditSink as MemoryAuditSink).records).toEqual([
      expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'TIMEOUT' }) }),
    ]);
  });

  it("carries the caller's abort as ABORTED", async () => {
    const controller = new AbortController();
    const hanging = createMockImageProvider({
      generate: (_call, context) => {
        const waiting = new Promise<never>((_, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason)),
        );
        controller.abort();
        return waiting;
      },
    });
    const deps = stageDeps({ providers: [hanging] });
    await expect(
      new PipelineRunner(deps).generate(
        { model: 'mock/mock-image', prompt: 'x' },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

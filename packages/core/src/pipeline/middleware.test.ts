import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createMockImageProvider } from '../testing/mock-image-provider.ts';
import { stageDeps } from '../testing/pipeline-stage-kit.ts';
import type { GatewayMiddleware } from './middleware.ts';
import { PipelineRunner } from './runner.ts';

describe('middleware', () => {
  it('runs request hooks outermost-first, params transforms in order, provider hooks around each call', async () => {
    const log: string[] = [];
    const tracer = (name: string): GatewayMiddleware => ({
      name,
      async wrapRequest(request, next) {
        log.push(`${name}:request>${request.operation}`);
        const result = await next();
        log.push(`${name}:request<${result.images.length}`);
        return result;
      },
      transformParams: (call) => ({ ...call, prompt: `${call.prompt}+${name}` }),
      async wrapProviderCall({ call, context }, next) {
        log.push(`${name}:call>${context.callIndex}:${call.prompt}`);
        const result = await next();
        log.push(`${name}:call<${context.callIndex}`);
        return result;
      },
    });
    const provider = createMockImageProvider();
    const deps = stageDeps({
      providers: [provider],
      middleware: [tracer('a'), tracer('b')],
      config: { dispatch: { concurrency: 1 } },
    });
    const result = await new PipelineRunner(deps).generate({ model: 'mock/mock-image', prompt: 'p', n: 5 });
    expect(result.images).toHaveLength(5);
    expect(provider.calls.map((c) => c.call.prompt)).toEqual(['p+a+b', 'p+a+b']);
    expect(log).toEqual([
      'a:request>generate',
      'b:request>generate',
      'a:call>0:p+a+b',
      'b:call>0:p+a+b',
      'b:call<0',
      'a:call<0',
      'a:call>1:p+a+b',
      'b:call>1:p+a+b',
      'b:call<1',
      'a:call<1',
      'b:request<5',
      'a:request<5',
    ]);
  });

  it('lets a provider hook send another call, and its errors follow the retry rules', async () => {
    let failures = 1;
    const flaky: GatewayMiddleware = {
      name: 'flaky',
      wrapProviderCall(invocation, next) {
        if (failures-- > 0)
          return Promise.reject(new GatewayError('BACKEND_ERROR', 'flaky', { retryable: true, status: 503 }));
        return next({ ...invocation.call, prompt: 'replaced' });
      },
    };
    const provider = createMockImageProvider();
    const deps = stageDeps({
      providers: [provider],
      middleware: [flaky],
      config: { dispatch: { retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0 } } },
    });
    await new PipelineRunner(deps).generate({ model: 'mock/mock-image', prompt: 'p' });
    expect(provider.calls.map((c) => [c.call.prompt, c.context.attempt])).toEqual([['replaced', 1]]);
  });

  it('audits a refusal from a request hook exactly once', async () => {
    const deps = stageDeps({
      middleware: [
        {
          name: 'deny',
          wrapRequest: () => Promise.reject(new GatewayError('MODEL_ACCESS_DENIED', 'no')),
        },
      ],
    });
    await expect(
      new PipelineRunner(deps).generate({ model: 'mock/mock-image', prompt: 'p' }),
    ).rejects.toMatchObject({
      code: 'MODEL_ACCESS_DENIED',
    });
    expect((deps.auditSink as MemoryAuditSink).records).toEqual([
      expect.objectContaining({
        outcome: 'rejected',
        error: expect.objectContaining({ code: 'MODEL_ACCESS_DENIED' }),
      }),
    ]);
  });

  it('runs the docs/middleware.md example as written', async () => {
    const docs = fileURLToPath(new URL('../../../../docs/middleware.md', import.meta.url));
    const text = await readFile(docs, 'utf8');
    const sample = text.slice(text.indexOf('## Example')).match(/```ts\n([\s\S]*?)```/)![1]!;
    const source = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
    const code = sample
      .replace("'@pixelgate/core/testing'", source('../testing/index.ts'))
      .replace("'@pixelgate/core'", source('../index.ts'));
    const dir = await mkdtemp(join(tmpdir(), 'pixelgate-middleware-doc-'));
    try {
      const file = join(dir, 'example.ts');
      await writeFile(file, code);
      const example = await import(pathToFileURL(file).href);
      expect(example.result.images).toHaveLength(2);
      expect(example.provider.calls[0].call.prompt).toBe('a lighthouse, in watercolour');
      expect(example.timings).toEqual([expect.stringMatching(/^mock call 0 attempt 0: \d+ ms$/)]);
      expect(example.refusal).toMatchObject({ code: 'MODEL_ACCESS_DENIED' });
      expect(example.gateway.auditSink.records.map((r: { outcome: string }) => r.outcome)).toEqual([
        'success',
        'rejected',
      ]);
      await example.gateway.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

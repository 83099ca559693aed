// Test support for core's own pipeline stage tests (not exported from any entry point): real in-process parts
// (registry, memory stores, media signer, events) around a mock provider, and a context factory.
import { ANONYMOUS_TENANT } from '../access/tenant.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createMemoryBudgetStore } from '../budget/index.ts';
import { type GatewayConfigInput, gatewayConfigSchema } from '../config/gateway-config.ts';
import { createGatewayEventEmitter, type GatewayEvents } from '../events/gateway-events.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { createMediaDelivery } from '../media/media-delivery.ts';
import { createMediaSigner } from '../media/media-token-signer.ts';
import type { GatewayMiddleware } from '../pipeline/middleware.ts';
import type { PipelineDeps } from '../pipeline/pipeline-deps.ts';
import { createRequestContext, type RequestContext, type RequestStart } from '../pipeline/request-context.ts';
import type { ImageProvider } from '../provider/image-provider.ts';
import { createMemoryRateLimitStore } from '../rate-limit/index.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { silentLogger } from '../shared/logger.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import { createMockImageProvider } from './mock-image-provider.ts';

/** Options of {@link stageDeps}. */
export interface StageDepsOptions {
  config?: GatewayConfigInput;
  providers?: ImageProvider[];
  guardrails?: Guardrail[];
  middleware?: GatewayMiddleware[];
  accessPolicy?: PipelineDeps['accessPolicy'];
  now?: number;
}

/** Real in-process parts for a stage test, plus the events each test can read back. */
export function stageDeps(options: StageDepsOptions = {}): PipelineDeps & {
  emitted: Array<{ name: keyof GatewayEvents; event: unknown }>;
} {
  const config = gatewayConfigSchema.parse(options.config ?? {});
  const clock = { now: () => options.now ?? Date.UTC(2026, 0, 2) };
  const storage = createMemoryStorage();
  const events = createGatewayEventEmitter();
  const emitted: Array<{ name: keyof GatewayEvents; event: unknown }> = [];
  const originalEmit = events.emit.bind(events);
  events.emit = ((name: keyof GatewayEvents, event: unknown) => {
    emitted.push({ name, event });
    return (originalEmit as (n: string, e: unknown) => boolean)(name, event);
  }) as typeof events.emit;
  let id = 0;
  const guardrails = options.guardrails ?? [];
  return {
    config,
    registry: new ModelRegistry({
      providers: options.providers ?? [createMockImageProvider()],
      models: [],
      now: clock.now,
    }),
    storage,
    auditSink: new MemoryAuditSink(),
    budgetStore: createMemoryBudgetStore(),
    rateLimitStore: createMemoryRateLimitStore(),
    guardrails: {
      input: guardrails.filter((g) => g.stage === 'input'),
      output: guardrails.filter((g) => g.stage === 'output'),
    },
    accessPolicy: options.accessPolicy ?? (() => true),
    delivery: createMediaDelivery({
      signer: createMediaSigner({
        keys: [{ id: 'k1', secret: 'a-test-secret-of-at-least-32-bytes!!' }],
        activeKeyId: 'k1',
        defaultTtlSeconds: 3600,
        clock,
      }),
      storage,
      defaultTtlSeconds: 3600,
      clock,
    }),
    events,
    clock,
    ids: { next: (prefix) => `${prefix}_${++id}` },
    logger: silentLogger,
    middleware: options.middleware ?? [],
    emitted,
  };
}

/** A fresh request context for `input`. */
export function stageContext(
  deps: PipelineDeps,
  input: unknown,
  start: Partial<RequestStart> = {},
): RequestContext {
  return createRequestContext({
    operation: 'generate',
    requestId: 'req_test',
    tenant: ANONYMOUS_TENANT,
    source: 'library',
    input,
    signal: new AbortController().signal,
    startedAt: deps.clock.now(),
    ...start,
  });
}

/** Runs the `generate` stages before the one named, so a test can run that one on its own. */
export async function runStagesBefore(ctx: RequestContext, deps: PipelineDeps, name: string): Promise<void> {
  const { GENERATE_STAGES } = await import('../pipeline/stages/index.ts');
  for (const stage of GENERATE_STAGES) {
    if (stage.name === name) return;
    await stage.run(ctx, deps);
  }
  throw new Error(`no stage named '${name}'`);
}

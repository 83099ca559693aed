import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord, AuditSink } from '../audit/audit-record.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { TOKENS } from '../container/tokens.ts';
import { container as rootContainer } from '../container/tsyringe.ts';
import { BackendError, GatewayError } from '../errors/gateway-error.ts';
import { GATEWAY_EVENT_NAMES } from '../events/gateway-events.ts';
import { createBlocklistGuardrail, createDefaultGuardrails } from '../guardrails/index.ts';
import { createMediaSigner } from '../media/index.ts';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import type { ProviderCall, ProviderCallContext, ProviderResult } from '../provider/image-provider.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import { sniffImage } from '../shared/media-type.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createGateway, type Gateway } from './create-gateway.ts';
import type { GatewayOptions } from './gateway-options.ts';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

function setup(
  options: Partial<GatewayOptions> & {
    generate?: (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult>;
  } = {},
) {
  const { generate, ...rest } = options;
  const provider = createMockImageProvider(generate ? { generate } : {});
  const audit = new MemoryAuditSink();
  const storage = createMemoryStorage();
  const gateway = createGateway({
    providers: [provider],
    auditSink: audit,
    storageAdapter: storage,
    dispatch: { retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2 } },
    ...rest,
  });
  gateways.push(gateway);
  const events: Array<[string, unknown]> = [];
  for (const name of GATEWAY_EVENT_NAMES) {
    gateway.events.on(name, (event: unknown) => events.push([name, event]));
  }
  return { gateway, provider, audit, storage, events };
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!GatewayError.isInstance(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

const LONG_BASE64 = /[A-Za-z0-9+/]{120,}/;

describe('gateway.generate', () => {
  it('runs the whole pipeline: images, storage, audit and events in order', async () => {
    const { gateway, audit, storage, events } = setup();
    const result = await gateway.generate(
      { model: 'mock/mock-image', prompt: 'a lighthouse at dusk', n: 5, size: '512x512' },
      { tenant: { tenantId: 'acme', userId: 'u1' } },
    );
    expect(result.data).toHaveLength(5);
    const bytes = Buffer.from(result.data[0]!.b64_json!, 'base64');
    expect(sniffImage(bytes)).toEqual({ mediaType: 'image/png', width: 512, height: 512 });
    expect(result.model).toBe('mock/mock-image');
    expect(result.cost).toEqual({ estimatedUsd: 0.2, actualUsd: 0.2, basis: 'per_image' });
    expect((storage as { size: number }).size).toBe(5);
    expect(audit.records).toHaveLength(1);
    const record = audit.records[0]!;
    expect(record).toMatchObject({
      outcome: 'success',
      tenantId: 'acme',
      userId: 'u1',
      model: 'mock/mock-image',
      provider: 'mock',
    });
    expect(record.images).toHaveLength(5);
    expect(record.images[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.prompt?.retention).toBe('redacted');
    const names = events.map(([name]) => name);
    expect(names[0]).toBe('request-start');
    expect(names.at(-1)).toBe('request-end');
    expect(names.indexOf('provider-call-start')).toBeGreaterThan(names.indexOf('model-resolve'));
    expect(names.filter((n) => n === 'provider-call-end')).toHaveLength(2); // 5 images, 4 per call
    expect(names.indexOf('audit-write')).toBeLessThan(names.indexOf('request-end'));
    expect(JSON.stringify([audit.records, events])).not.toMatch(LONG_BASE64);
  });

  it('writes exactly one audit record on every failure path', async () => {
    const cases: Array<{
      input: unknown;
      options?: Partial<GatewayOptions>;
      code: string;
      outcome: AuditRecord['outcome'];
      tenant?: object;
    }> = [
      { input: { prompt: 'x', colour: 'red' }, code: 'VALIDATION_ERROR', outcome: 'rejected' },
      { input: 'not an object', code: 'VALIDATION_ERROR', outcome: 'rejected' },
      { input: { model: 'mock/nope', prompt: 'x' }, code: 'MODEL_NOT_FOUND', outcome: 'rejected' },
      {
        input: { model: 'mock/mock-image', prompt: 'x' },
        code: 'MODEL_ACCESS_DENIED',
        outcome: 'rejected',
        tenant: { tenantId: 't', allowedModels: ['other/*'] },
      },
      {
        input: { model: 'mock/mock-image', prompt: 'x', size: '300x300' },
        code: 'VALIDATION_ERROR',
        outcome: 'rejected',
      },
      {
        input: { model: 'mock/mock-image', prompt: 'x', provider_options: { mock: { a: 1 } } },
        code: 'VALIDATION_ERROR',
        outcome: 'rejected',
      },
      {
        input: { model: 'mock/mock-image', prompt: 'buy a rifle' },
        options: {
          guardrails: [createBlocklistGuardrail({ categories: { weapons: { terms: ['rifle'] } } })],
        },
        code: 'CONTENT_BLOCKED',
        outcome: 'blocked',
      },
      {
        input: { model: 'mock/mock-image', prompt: 'x', n: 3 },
        options: { budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 0.1 }] } },
        code: 'BUDGET_EXCEEDED',
        outcome: 'rejected',
      },
      {
        input: { model: 'mock/mock-image', prompt: 'x', n: 2 },
        options: { rateLimits: { rules: [{ scope: 'tenant', unit: 'images', limit: 1 }] } },
        code: 'RATE_LIMITED',
        outcome: 'rejected',
      },
    ];
    for (const testCase of cases) {
      const { gateway, audit, provider } = setup(testCase.options ?? {});
      const error = await refusal(
        gateway.generate(testCase.input, {
          ...(testCase.tenant ? { tenant: testCase.tenant as never } : {}),
        }),
      );
      expect(error.code, JSON.stringify(testCase.input)).toBe(testCase.code);
      expect(audit.records, testCase.code).toHaveLength(1);
      expect(audit.records[0]!.outcome).toBe(testCase.outcome);
      expect(audit.records[0]!.error?.code).toBe(testCase.code);
      expect(provider.calls).toHaveLength(0);
    }
  });

  it('audits provider failures, storage failures and aborts', async () => {
    const filtered = setup({
      generate: async () =>
        Promise.reject(new BackendError('refused', { reason: 'content_filtered', provider: 'mock' })),
    });
    expect((await refusal(filtered.gateway.generate({ model: 'mock', prompt: 'x' }))).details?.reason).toBe(
      'content_filtered',
    );
    expect(filtered.audit.records[0]).toMatchObject({
      outcome: 'blocked',
      error: { code: 'BACKEND_ERROR', reason: 'content_filtered' },
    });
    expect(filtered.provider.calls).toHaveLength(1); // never retried

    const brokenStorage: StorageAdapter = {
      ...createMemoryStorage(),
      id: 'broken',
      put: async () => Promise.reject(new Error('disk full')),
    };
    const stored = setup({ storageAdapter: brokenStorage });
    expect((await refusal(stored.gateway.generate({ model: 'mock', prompt: 'x' }))).code).toBe(
      'STORAGE_ERROR',
    );
    expect(stored.audit.records[0]).toMatchObject({ outcome: 'failed', error: { code: 'STORAGE_ERROR' } });

    const controller = new AbortController();
    const aborted = setup({
      generate: (_call, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(abortErrorFrom(context.signal)));
          setTimeout(() => controller.abort(), 5);
        }),
    });
    expect(
      (await refusal(aborted.gateway.generate({ model: 'mock', prompt: 'x' }, { signal: controller.signal })))
        .code,
    ).toBe('ABORTED');
    expect(aborted.audit.records[0]).toMatchObject({ outcome: 'failed', error: { code: 'ABORTED' } });

    const slow = setup({
      dispatch: { timeoutMs: 20 },
      generate: (_call, context) =>
        new Promise((_r, reject) =>
          context.signal.addEventListener('abort', () => reject(abortErrorFrom(context.signal))),
        ),
    });
    expect((await refusal(slow.gateway.generate({ model: 'mock', prompt: 'x' }))).code).toBe('TIMEOUT');
    expect(slow.audit.records).toHaveLength(1);
  });

  it('hands back signed media URLs that resolve to the stored image', async () => {
    const signer = createMediaSigner({
      keys: [{ id: 'k1', secret: 'a-test-secret-that-is-long-enough-000' }],
      activeKeyId: 'k1',
    });
    const { gateway, storage } = setup({
      mediaSigner: signer,
      media: { publicBaseUrl: 'https://img.example.com', pathPrefix: '/oai' },
    });
    const result = await gateway.generate(
      { model: 'mock', prompt: 'x', response_format: 'url' },
      { tenant: { tenantId: 'acme' } },
    );
    const url = result.data[0]!.url!;
    expect(url.startsWith('https://img.example.com/oai/v1/media/')).toBe(true);
    const claims = signer.verify(url.split('/').pop()!, { tenantId: 'acme' });
    expect(claims?.key).toBe(result.images[0]!.storageKey);
    expect(claims!.expiresAt - Date.now()).toBeGreaterThan(3500_000);
    expect(await storage.head(claims!.key)).toMatchObject({
      mediaType: 'image/png',
      metadata: { tenant: 'acme', 'request-id': result.requestId },
    });
    expect(signer.verify(url.split('/').pop()!, { tenantId: 'other' })).toBeNull();
  });

  it('reports coercions as warnings in the result, the events and the audit record', async () => {
    const { gateway, audit, events } = setup({ capabilityPolicy: 'coerce' });
    const result = await gateway.generate({
      model: 'mock',
      prompt: 'x',
      size: '1000x1000',
      quality: 'hd',
      style: 'weird',
    });
    expect(result.warnings.map((w) => w.param)).toEqual(['size', 'quality', 'style']);
    expect(result.images[0]).toMatchObject({ width: 1024, height: 1024 });
    expect(events.filter(([name]) => name === 'capability-warning')).toHaveLength(3);
    expect(audit.records[0]!.warnings).toHaveLength(3);
  });

  it('settles the budget to the real cost and refuses once it is spent', async () => {
    const { gateway } = setup({ budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 0.1 }] } });
    const tenant = { tenantId: 'acme' };
    await gateway.generate({ model: 'mock', prompt: 'x', n: 2 }, { tenant }); // 0.08
    const error = await refusal(gateway.generate({ model: 'mock', prompt: 'x', n: 1 }, { tenant }));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.message).toMatch(/0\.04/);
    // Another tenant has its own budget.
    await expect(
      gateway.generate({ model: 'mock', prompt: 'x' }, { tenant: { tenantId: 'other' } }),
    ).resolves.toBeDefined();
  });

  it('never counts an unknown price as zero', async () => {
    const unpriced: ModelDescriptorInput = {
      ...MOCK_MODEL,
      id: 'unpriced',
      aliases: [],
      pricing: { perImage: [] },
    };
    const rules = [{ scope: 'tenant' as const, period: 'day' as const, limitUsd: 10 }];
    const refuse = setup({
      models: [{ provider: 'mock', id: 'unpriced', extends: 'mock-image', pricing: unpriced.pricing! }],
      budgets: { rules },
    });
    expect(
      (await refusal(refuse.gateway.generate({ model: 'mock/unpriced', prompt: 'x' }))).details?.reason,
    ).toBe('unknown_price');
    const flag = setup({
      models: [{ provider: 'mock', id: 'unpriced', extends: 'mock-image', pricing: unpriced.pricing! }],
      budgets: { rules, unknownPrice: 'allow_and_flag' },
    });
    const result = await flag.gateway.generate({ model: 'mock/unpriced', prompt: 'x' });
    expect(result.labels).toContain('budget:unknown_price');
    expect(result.cost.basis).toBe('unknown');
    expect(flag.audit.records[0]!.cost).toEqual({ basis: 'unknown' });
  });

  it('falls back to the next model on an unavailable provider, and says so', async () => {
    const broken = createMockImageProvider({
      id: 'broken',
      generate: async () =>
        Promise.reject(new BackendError('down', { reason: 'upstream_unavailable', provider: 'broken' })),
    });
    const healthy = createMockImageProvider({ id: 'healthy' });
    const audit = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [broken, healthy],
      auditSink: audit,
      dispatch: { retry: { maxRetries: 0 }, fallbacks: { 'broken/mock-image': ['healthy/mock-image'] } },
    });
    gateways.push(gateway);
    const result = await gateway.generate({ model: 'broken/mock-image', prompt: 'x' });
    expect(result.model).toBe('healthy/mock-image');
    expect(result.warnings.some((w) => w.type === 'fallback')).toBe(true);
    expect(audit.records[0]!.attempts).toEqual([
      { model: 'broken/mock-image', outcome: 'failed', errorCode: 'BACKEND_ERROR' },
      { model: 'healthy/mock-image', outcome: 'success' },
    ]);
  });

  it('redacts PII before the provider sees the prompt and keeps credentials out of records', async () => {
    const { gateway, provider, audit } = setup({ guardrails: createDefaultGuardrails() });
    const tenant = { tenantId: 'acme', credentials: { mock: { apiKey: 'sk-tenant-secret-123456' } } };
    const result = await gateway.generate(
      { model: 'mock', prompt: 'a poster for jane.doe@example.com' },
      { tenant },
    );
    expect(provider.calls[0]!.call.prompt).not.toContain('jane.doe@example.com');
    expect(provider.calls[0]!.context.credentials).toEqual({ apiKey: 'sk-tenant-secret-123456' });
    expect(result.labels).toContain('pii:email');
    const recorded = JSON.stringify(audit.records);
    expect(recorded).not.toContain('jane.doe@example.com');
    expect(recorded).not.toContain('sk-tenant-secret-123456');
  });

  it('keeps one ordered record per request under concurrency', async () => {
    const { gateway, audit } = setup();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        gateway.generate({ model: 'mock', prompt: `p${i}`, n: 1 + (i % 3) }),
      ),
    );
    expect(new Set(results.map((r) => r.requestId)).size).toBe(50);
    expect(audit.records).toHaveLength(50);
    expect(new Set(audit.records.map((r) => r.requestId))).toEqual(new Set(results.map((r) => r.requestId)));
  });

  it('withholds the result when the audit record cannot be written (fail closed)', async () => {
    const failing: AuditSink = { write: async () => Promise.reject(new Error('disk full')) };
    const { gateway, events } = setup({ auditSink: failing });
    expect((await refusal(gateway.generate({ model: 'mock', prompt: 'x' }))).code).toBe('INTERNAL_ERROR');
    expect(events.some(([name]) => name === 'audit-error')).toBe(true);
  });

  it('lets a container registration replace a default part', async () => {
    const parent = rootContainer.createChildContainer();
    parent.register(TOKENS.IdGenerator, { useValue: { next: (prefix: string) => `${prefix}_fixed` } });
    const { gateway } = setup({ container: parent });
    const result = await gateway.generate({ model: 'mock', prompt: 'x' });
    expect(result.requestId).toBe('req_fixed');
  });

  it('lets an explicit option win over a container registration (the container over the default)', async () => {
    const parent = rootContainer.createChildContainer();
    const registered = new MemoryAuditSink();
    parent.register(TOKENS.AuditSink, { useValue: registered });
    parent.register(TOKENS.IdGenerator, { useValue: { next: (prefix: string) => `${prefix}_container` } });
    const explicit = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [createMockImageProvider()],
      container: parent,
      auditSink: explicit,
      idGenerator: { next: (prefix) => `${prefix}_option` },
    });
    gateways.push(gateway);
    const result = await gateway.generate({ model: 'mock', prompt: 'x' });
    expect(result.requestId).toBe('req_option');
    expect(gateway.auditSink).toBe(explicit);
    expect(explicit.records).toHaveLength(1);
    expect(registered.records).toHaveLength(0);
    // Without the option, the container's registration is used.
    const fromContainer = createGateway({ providers: [createMockImageProvider()], container: parent });
    gateways.push(fromContainer);
    await fromContainer.generate({ model: 'mock', prompt: 'x' });
    expect(registered.records).toEqual([expect.objectContaining({ requestId: 'req_container' })]);
  });

  it('lists only the models a tenant may use, without retired ones', () => {
    const { gateway } = setup({
      models: [{ provider: 'mock', id: 'old', extends: 'mock-image', lifecycle: { status: 'retired' } }],
    });
    expect(gateway.listModels().map((m) => m.id)).toEqual(['mock-image']);
    expect(gateway.listModels({ tenantId: 't', allowedModels: ['nothing/*'] })).toEqual([]);
  });

  it("reuses the provider's canonical base64 and re-encodes anything else", async () => {
    const png = Buffer.from((await import('../testing/solid-png.ts')).solidPng(256, 256));
    const canonical = png.toString('base64');
    const wrapped = canonical.replace(/(.{20})/g, '$1\n');
    const { gateway } = setup({
      generate: async () => ({
        images: [
          { bytes: png, mediaType: 'image/png', base64: canonical },
          { bytes: png, mediaType: 'image/png', base64: wrapped },
        ],
      }),
    });
    const result = await gateway.generate({ model: 'mock', prompt: 'x', n: 2 });
    expect(result.data[0]!.b64_json).toBe(canonical);
    expect(result.data[1]!.b64_json).toBe(canonical);
  });

  it('reports a store refusing the gateway as a server-side STORAGE_ERROR, never a client error', async () => {
    const refusing: StorageAdapter = {
      ...createMemoryStorage(),
      id: 'picky',
      put: async () =>
        Promise.reject(
          new GatewayError('STORAGE_ERROR', 'bad metadata', {
            status: 400,
            details: { reason: 'invalid_metadata' },
          }),
        ),
    };
    const { gateway } = setup({ storageAdapter: refusing });
    const error = await refusal(gateway.generate({ model: 'mock', prompt: 'x' }));
    expect(error).toMatchObject({
      code: 'STORAGE_ERROR',
      status: 503,
      details: { reason: 'invalid_metadata' },
    });
  });

  it('applies plan tiers from the configuration', async () => {
    const { gateway } = setup({
      access: { plans: { free: { models: ['mock/mock-image'] }, none: { models: [] } }, defaultPlan: 'none' },
    });
    await expect(
      gateway.generate({ model: 'mock', prompt: 'x' }, { tenant: { tenantId: 'a', plan: 'free' } }),
    ).resolves.toBeDefined();
    expect(
      (await refusal(gateway.generate({ model: 'mock', prompt: 'x' }, { tenant: { tenantId: 'b' } }))).code,
    ).toBe('MODEL_ACCESS_DENIED');
    expect(gateway.listModels({ tenantId: 'b' })).toEqual([]);
  });

  it('refuses an invalid configuration at creation', () => {
    expect(() =>
      createGateway({ providers: [createMockImageProvider()], capabilityPolicy: 'lenient' as never }),
    ).toThrow(/capabilityPolicy/);
    expect(() => createGateway({ providers: [] })).toThrow(/at least one provider/);
  });
});

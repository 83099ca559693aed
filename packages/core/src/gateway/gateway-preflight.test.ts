import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { createBlocklistGuardrail } from '../guardrails/builtin/blocklist-guardrail.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createGateway, type Gateway } from './create-gateway.ts';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function setup() {
  const audit = new MemoryAuditSink();
  let providerCalls = 0;
  const provider = createMockImageProvider({
    models: [MOCK_MODEL],
    async generate(call) {
      providerCalls += 1;
      return {
        images: Array.from({ length: call.n }, () => ({ bytes: new Uint8Array(8), mediaType: 'image/png' })),
      };
    },
  });
  const gateway = createGateway({
    providers: [provider],
    auditSink: audit,
    guardrails: [createBlocklistGuardrail({ terms: ['forbidden'] })],
    rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 1, windowMs: 60_000 }] },
  });
  gateways.push(gateway);
  return { gateway, audit, calls: () => providerCalls };
}

describe('gateway.preflight', () => {
  it('passes a valid request without a record, a rate-limit hit or a provider call, and answers the prepared call', async () => {
    const { gateway, audit, calls } = setup();
    const prepared = await gateway.preflight('generate', {
      model: 'mock/mock-image',
      prompt: 'a lighthouse',
      n: 2,
    });
    expect(prepared.resolved.model.id).toBe(MOCK_MODEL.id);
    expect(prepared.call).toMatchObject({ operation: 'generate', n: 2, prompt: 'a lighthouse' });
    // Twice more: the rate limit of one request is not consumed by a preflight.
    await gateway.preflight('generate', { model: 'mock/mock-image', prompt: 'again' });
    expect(audit.records).toHaveLength(0);
    expect(calls()).toBe(0);
    await expect(gateway.generate({ model: 'mock/mock-image', prompt: 'now run it' })).resolves.toBeDefined();
    expect(audit.records).toHaveLength(1);
  });

  it.each([
    ['an unknown field', { model: 'mock/mock-image', prompt: 'x', colour: 'red' }, 'VALIDATION_ERROR'],
    ['an unknown model', { model: 'mock/nope', prompt: 'x' }, 'MODEL_NOT_FOUND'],
    [
      'a size the model does not make',
      { model: 'mock/mock-image', prompt: 'x', size: '999x999' },
      'VALIDATION_ERROR',
    ],
    ['a blocked prompt', { model: 'mock/mock-image', prompt: 'a forbidden thing' }, 'CONTENT_BLOCKED'],
  ])('refuses %s with exactly one audit record and no provider call', async (_name, body, code) => {
    const { gateway, audit, calls } = setup();
    const error = (await gateway
      .preflight('generate', body)
      .catch((thrown: unknown) => thrown)) as GatewayError;
    expect(error.code).toBe(code);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.error?.code).toBe(code);
    expect(calls()).toBe(0);
  });
});

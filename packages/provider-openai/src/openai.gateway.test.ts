import { createGateway, MemoryAuditSink } from '@pixelgate/core';
import { GatewayError } from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIModerationGuardrail } from './openai-moderation-guardrail.ts';
import { createOpenAIProvider } from './openai-provider.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

/** The plugin inside the real pipeline: retries, lifecycle, guardrails, pricing and audit. */
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const gateways: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function gateway(
  options: { servedBy?: 'openai' | 'compatible'; apiKey?: string; guardrails?: unknown[] } = {},
) {
  const audit = new MemoryAuditSink();
  const instance = createGateway({
    providers: [
      createOpenAIProvider({
        apiKey: options.apiKey ?? FAKE_OPENAI_API_KEY,
        baseURL: server.baseURL,
        ...(options.servedBy ? { servedBy: options.servedBy } : {}),
      }),
    ],
    guardrails: (options.guardrails ?? []) as never,
    auditSink: audit,
    dispatch: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 } },
  });
  gateways.push(instance);
  return { instance, audit };
}

const imageRequests = () => server.requests.filter((request) => request.url === '/v1/images/generations');

describe('OpenAI provider through the gateway', () => {
  it('retries a 429 after the Retry-After hint and succeeds', async () => {
    const { instance } = gateway();
    const retries: Array<{ delayMs: number }> = [];
    instance.events.on('provider-retry', (event) => retries.push(event));
    server.enqueue({ type: 'rate_limited', retryAfter: null, retryAfterMs: '30' });
    const result = await instance.generate({
      model: 'openai/gpt-image-2',
      prompt: 'a kite',
      size: '32x32',
      quality: 'low',
    });
    expect(result.images).toHaveLength(1);
    expect(imageRequests()).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(30);
  });

  it('never retries content filtering or exhausted quota', async () => {
    const { instance } = gateway();
    server.enqueue({ type: 'moderation_blocked', categories: ['violence'] });
    const filtered = await instance
      .generate({ model: 'openai/gpt-image-1.5', prompt: 'x' })
      .catch((e: unknown) => e);
    expect(filtered).toMatchObject({ code: 'BACKEND_ERROR', reason: 'content_filtered' });
    expect(imageRequests()).toHaveLength(1);
    server.enqueue({ type: 'insufficient_quota' });
    const quota = await instance
      .generate({ model: 'openai/gpt-image-1.5', prompt: 'x' })
      .catch((e: unknown) => e);
    expect(quota).toMatchObject({ reason: 'insufficient_credit' });
    expect(imageRequests()).toHaveLength(2);
  });

  it('splits dall-e-3 requests into one image per call on a compatible server, keeping revised prompts', async () => {
    const { instance } = gateway({ servedBy: 'compatible' });
    const result = await instance.generate({ model: 'openai/dall-e-3', prompt: 'a fox', n: 3 });
    expect(result.images).toHaveLength(3);
    expect(imageRequests()).toHaveLength(3);
    for (const request of imageRequests())
      expect(request.body).toMatchObject({ n: 1, response_format: 'b64_json', style: 'vivid' });
    expect(result.data.every((image) => image.revised_prompt?.startsWith('a fox, rendered'))).toBe(true);
    expect(result.cost.actualUsd).toBeCloseTo(0.12, 6);
  });

  it('refuses models OpenAI retired before any request, naming the replacement', async () => {
    const { instance } = gateway();
    const error = await instance
      .generate({ model: 'openai/dall-e-3', prompt: 'a fox' })
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('MODEL_RETIRED');
    expect((error as Error).message).toContain('gpt-image-1.5');
    expect(server.requests).toHaveLength(0);
  });

  it('settles the cost from usage tokens', async () => {
    const { instance } = gateway();
    const result = await instance.generate({
      model: 'openai/gpt-image-1.5',
      prompt: 'a small boat',
      quality: 'low',
      size: '1024x1024',
    });
    expect(result.usage).toMatchObject({ outputImageTokens: 272 });
    expect(result.cost.actualUsd).toBeCloseTo((3 * 5 + 272 * 32) / 1_000_000, 6);
  });

  it('the moderation guardrail blocks before generation and labels the audit record', async () => {
    const moderation = createOpenAIModerationGuardrail({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
    });
    const { instance, audit } = gateway({ guardrails: [moderation] });
    const error = await instance
      .generate({ model: 'openai/gpt-image-1.5', prompt: 'flag:violence in the street' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONTENT_BLOCKED' });
    expect(imageRequests()).toHaveLength(0);
    expect(JSON.stringify(audit.records)).toContain('moderation:violence');
  });

  it('keeps a refused key out of errors, events and audit records', async () => {
    const wrongKey = 'sk-proj-gatewaywrongkey-55555';
    const { instance, audit } = gateway({ apiKey: wrongKey });
    const seen: unknown[] = [];
    for (const name of ['provider-call-end', 'provider-retry', 'request-end', 'audit-write'] as const) {
      instance.events.on(name, (event: unknown) => seen.push(event));
    }
    const error = await instance
      .generate({ model: 'openai/gpt-image-1.5', prompt: 'a kite' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', reason: 'upstream_auth' });
    const everything = JSON.stringify([
      seen,
      audit.records,
      (error as GatewayError).toJSON(),
      (error as Error).message,
    ]);
    expect(everything).not.toContain(wrongKey);
    expect(everything).not.toContain('55555');
    expect(imageRequests()).toHaveLength(1);
  });
});

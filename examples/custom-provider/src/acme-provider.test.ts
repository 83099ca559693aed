import { createGateway, MemoryAuditSink } from '@pixelgate/core';
import { BackendError, GatewayError, type ProviderCall, silentLogger } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_MODELS } from './acme-catalog.ts';
import { createAcmeImagesProvider } from './acme-provider.ts';
import { type FakeAcmeServer, startFakeAcmeServer } from './testing/index.ts';

/** Calls the plugin directly, as dispatch would, with an already-validated call. */
function callDirect(provider: ReturnType<typeof createAcmeImagesProvider>, call: Partial<ProviderCall> = {}) {
  return provider.generate(
    {
      model: modelDescriptorSchema.parse(ACME_MODELS[0]),
      prompt: 'a kite',
      n: 1,
      size: '512x512',
      outputFormat: 'png',
      operation: 'generate',
      providerOptions: {},
      ...call,
    },
    {
      signal: new AbortController().signal,
      requestId: 'req_direct',
      callIndex: 0,
      attempt: 0,
      logger: silentLogger,
    },
  );
}

describe('acme-images plugin', () => {
  let server: FakeAcmeServer;
  beforeAll(async () => {
    server = await startFakeAcmeServer();
  });
  afterAll(() => server.close());

  const gatewayWith = (settings: Parameters<typeof createAcmeImagesProvider>[0] = {}) => {
    const auditSink = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [createAcmeImagesProvider({ apiKey: server.apiKey, baseURL: server.url, ...settings })],
      auditSink,
    });
    return { gateway, auditSink };
  };

  it('maps the validated request to the Acme wire format and returns real images', async () => {
    const { gateway } = gatewayWith();
    const before = server.requests.length;
    const result = await gateway.generate({
      model: 'acme/acme-1',
      prompt: 'a red anvil',
      size: '1024x768',
      n: 2,
      seed: 7,
      output_format: 'jpeg',
      negative_prompt: 'blur',
      provider_options: { acme: { stylize: 30 } },
    });
    expect(server.requests.slice(before).map((request) => request.body)).toEqual([
      {
        model: 'acme-1',
        prompt: 'a red anvil',
        width: 1024,
        height: 768,
        count: 2,
        seed: 7,
        format: 'jpeg',
        negative: 'blur',
        stylize: 30,
      },
    ]);
    expect(result.images.map((image) => [image.mediaType, image.width, image.height, image.seed])).toEqual([
      ['image/jpeg', 1024, 768, 7],
      ['image/jpeg', 1024, 768, 8],
    ]);
    await gateway.close();
  });

  it('splits n above the per-call limit into several calls with consecutive seeds', async () => {
    const { gateway } = gatewayWith();
    const before = server.requests.length;
    const result = await gateway.generate({ model: 'acme/acme-1-turbo', prompt: 'a kite', n: 3, seed: 100 });
    const bodies = server.requests
      .slice(before)
      .map((request) => request.body as { count: number; seed: number });
    expect(bodies.map((body) => body.count)).toEqual([1, 1, 1]);
    expect(bodies.map((body) => body.seed).sort()).toEqual([100, 101, 102]);
    expect(result.images).toHaveLength(3);
    await gateway.close();
  });

  it('uses a tenant’s own key (bring-your-own-key) instead of the configured one', async () => {
    const { gateway } = gatewayWith({ apiKey: 'acme-configured-but-wrong-key' });
    const before = server.requests.length;
    await gateway.generate(
      { model: 'acme/acme-1', prompt: 'a kite', size: '512x512' },
      { tenant: { tenantId: 'byok', credentials: { acme: { apiKey: server.apiKey } } } },
    );
    expect(server.requests.slice(before).map((request) => request.headers.authorization)).toEqual([
      `Bearer ${server.apiKey}`,
    ]);
    await gateway.close();
  });

  it('refuses provider options Acme does not have, naming the field, before any call', async () => {
    const { gateway } = gatewayWith();
    const before = server.requests.length;
    const error = await gateway
      .generate({ model: 'acme/acme-1', prompt: 'x', provider_options: { acme: { stylize: 101 } } })
      .catch((caught: unknown) => caught);
    expect(GatewayError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect((error as GatewayError).param).toMatch(/^provider_options\.acme\.stylize/);
    expect(server.requests.length).toBe(before);
    await gateway.close();
  });

  it('reports images withheld for safety as a partial result with a label', async () => {
    const provider = createAcmeImagesProvider({ apiKey: server.apiKey, baseURL: server.url });
    server.scenario('partially_blocked');
    const result = await callDirect(provider, { n: 2 });
    expect(result.images).toHaveLength(1);
    expect(result.filteredCount).toBe(1);
    expect(result.labels).toEqual(['provider:acme:blocked']);
  });

  it('fails with a CONFIGURATION_ERROR naming ACME_API_KEY when no key is configured', async () => {
    const saved = process.env.ACME_API_KEY;
    delete process.env.ACME_API_KEY;
    try {
      const provider = createAcmeImagesProvider({ baseURL: server.url });
      const error = await callDirect(provider).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' });
      expect((error as Error).message).toContain('ACME_API_KEY');
    } finally {
      if (saved !== undefined) process.env.ACME_API_KEY = saved;
    }
  });

  it('keeps upstream facts on errors without the key', async () => {
    const provider = createAcmeImagesProvider({ apiKey: server.apiKey, baseURL: server.url });
    server.scenario('rate_limited');
    const error = await callDirect(provider).catch((caught: unknown) => caught);
    expect(BackendError.isBackendError(error)).toBe(true);
    expect(error).toMatchObject({
      reason: 'rate_limited',
      upstreamStatus: 429,
      upstreamCode: 'rate_limited',
      retryAfterMs: 1000,
    });
    expect((error as BackendError).upstreamRequestId).toMatch(/^acme_/);
    expect(JSON.stringify((error as BackendError).toJSON())).not.toContain(server.apiKey);
  });
});

import { createGateway, type Gateway, MemoryAuditSink } from '@pixelgate/core';
import { GatewayError, sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY } from './stability.test-helpers.ts';
import { createStabilityProvider } from './stability-provider.ts';
import { type FakeStabilityServer, startFakeStabilityServer } from './testing/index.ts';

/**
 * The plugin behind the real core pipeline: what a caller's `size`, `aspect_ratio`, `n`, `quality`
 * and `style` become on Stability's wire, under both capability policies.
 */
let server: FakeStabilityServer;
const gateways: Gateway[] = [];

function gatewayFor(capabilityPolicy: 'strict' | 'coerce', audit?: MemoryAuditSink): Gateway {
  const gateway = createGateway({
    providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
    guardrails: [],
    capabilityPolicy,
    dispatch: { retry: { maxRetries: 0 } },
    ...(audit ? { auditSink: audit } : {}),
  });
  gateways.push(gateway);
  return gateway;
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!GatewayError.isInstance(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

function dimensions(bytes: Uint8Array): string {
  const sniffed = sniffImage(bytes);
  return `${sniffed?.width}x${sniffed?.height}`;
}

beforeAll(async () => {
  server = await startFakeStabilityServer();
});
afterEach(async () => {
  server.reset();
  for (const gateway of gateways.splice(0)) await gateway.close();
});
afterAll(async () => {
  await server.close();
});

describe('size and ratio mapping through the gateway', () => {
  it('sends a ratio size as its aspect_ratio, without warnings', async () => {
    const result = await gatewayFor('strict').generate({
      model: 'stability/sd3.5-large',
      prompt: 'a fox',
      size: '1344x768',
    });
    expect(server.requests[0]!.fields.aspect_ratio).toBe('16:9');
    expect(dimensions(result.images[0]!.bytes)).toBe('1344x768');
    expect(result.warnings.filter((w) => w.param === 'size')).toEqual([]);
  });

  it('maps a size with a declared ratio to that ratio and says which pixel size is produced (coerce)', async () => {
    // Under strict (issue 20) this size is refused: 1920x1080 is not a size the model makes.
    const result = await gatewayFor('coerce').generate({
      model: 'stability/sd3.5-large',
      prompt: 'a fox',
      size: '1920x1080',
    });
    expect(server.requests[0]!.fields.aspect_ratio).toBe('16:9');
    expect(dimensions(result.images[0]!.bytes)).toBe('1344x768');
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ param: 'size', from: '1920x1080', to: '1344x768' }),
    );
  });

  it('refuses a size with no declared ratio under strict, listing what is accepted, before any request', async () => {
    const error = await refusal(
      gatewayFor('strict').generate({
        model: 'stability/stable-image-core',
        prompt: 'a fox',
        size: '1000x700',
      }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'size' });
    expect(error.message).toContain('16:9');
    expect(server.requests).toHaveLength(0);
  });

  it('uses the nearest ratio under coerce and reports it', async () => {
    const result = await gatewayFor('coerce').generate({
      model: 'stability/stable-image-core',
      prompt: 'a fox',
      size: '1000x700',
    });
    expect(server.requests[0]!.fields.aspect_ratio).toBe('3:2');
    expect(dimensions(result.images[0]!.bytes)).toBe('1536x1024');
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ type: 'coerced', param: 'size', from: '1000x700' }),
    );
  });

  it('passes aspect_ratio straight through, and refuses an undeclared one under strict', async () => {
    const gateway = gatewayFor('strict');
    await gateway.generate({ model: 'stability/stable-image-ultra', prompt: 'a fox', aspect_ratio: '9:21' });
    expect(server.requests[0]!.fields.aspect_ratio).toBe('9:21');
    const error = await refusal(
      gateway.generate({ model: 'stability/stable-image-ultra', prompt: 'a fox', aspect_ratio: '4:3' }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'aspect_ratio' });
    expect(server.requests).toHaveLength(1);
  });

  it('holds SDXL to its nine sizes: refused under strict, nearest size under coerce', async () => {
    const strict = await refusal(
      gatewayFor('strict').generate({
        model: 'stability/stable-diffusion-xl-1024-v1-0',
        prompt: 'a fox',
        size: '1920x1080',
      }),
    );
    expect(strict).toMatchObject({ code: 'VALIDATION_ERROR', param: 'size' });
    expect(server.requests).toHaveLength(0);
    const result = await gatewayFor('coerce').generate({
      model: 'stability/stable-diffusion-xl-1024-v1-0',
      prompt: 'a fox',
      size: '1920x1080',
    });
    expect(server.requests[0]!.json).toMatchObject({ width: 1344, height: 768 });
    expect(dimensions(result.images[0]!.bytes)).toBe('1344x768');
    expect(result.warnings).toContainEqual(expect.objectContaining({ param: 'size', to: '1344x768' }));
  });
});

describe('n, quality and style through the gateway', () => {
  it('splits n into one v2beta call per image, never fewer images, with consecutive seeds', async () => {
    const result = await gatewayFor('strict').generate({
      model: 'stability/sd3.5-flash',
      prompt: 'a fox',
      n: 4,
      seed: 500,
    });
    expect(result.images).toHaveLength(4);
    expect(server.requests).toHaveLength(4);
    expect(server.requests.map((r) => Number(r.fields.seed)).sort()).toEqual([500, 501, 502, 503]);
    expect(result.images.map((i) => i.seed).sort()).toEqual([500, 501, 502, 503]);
    expect(server.creditsUsed).toBe(4 * 2.5);
  });

  it('asks SDXL for up to ten samples in one call', async () => {
    const result = await gatewayFor('strict').generate({
      model: 'stability/stable-diffusion-xl-1024-v1-0',
      prompt: 'a fox',
      n: 3,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.json).toMatchObject({ samples: 3 });
    expect(result.images).toHaveLength(3);
  });

  it('refuses quality under strict and reports it unsent under coerce (Stability has none)', async () => {
    const error = await refusal(
      gatewayFor('strict').generate({ model: 'stability/stable-image-core', prompt: 'a fox', quality: 'hd' }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'quality' });
    const result = await gatewayFor('coerce').generate({
      model: 'stability/stable-image-core',
      prompt: 'a fox',
      quality: 'hd',
    });
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ type: 'unsupported', param: 'quality' }),
    );
    expect(Object.keys(server.requests[0]!.fields)).not.toContain('quality');
  });

  it('maps style to style_preset where the model declares presets, and refuses it on ultra', async () => {
    const gateway = gatewayFor('strict');
    await gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox', style: 'pixel-art' });
    expect(server.requests[0]!.fields.style_preset).toBe('pixel-art');
    const error = await refusal(
      gateway.generate({ model: 'stability/stable-image-ultra', prompt: 'a fox', style: 'pixel-art' }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'style' });
    const unknown = await refusal(
      gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox', style: 'vivid' }),
    );
    expect(unknown).toMatchObject({ code: 'VALIDATION_ERROR', param: 'style' });
    expect(server.requests).toHaveLength(1);
  });

  it('checks provider options before any request and sends valid ones', async () => {
    const gateway = gatewayFor('strict');
    const bad = await refusal(
      gateway.generate({
        model: 'stability/sd3.5-large',
        prompt: 'a fox',
        provider_options: { stability: { cfg_scale: 'high' } },
      }),
    );
    expect(bad).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(bad.param).toContain('cfg_scale');
    expect(server.requests).toHaveLength(0);
    await gateway.generate({
      model: 'stability/sd3.5-large',
      prompt: 'a fox',
      provider_options: { stability: { cfg_scale: 5 } },
    });
    expect(server.requests[0]!.fields.cfg_scale).toBe('5');
  });
});

describe('safety and failures through the gateway', () => {
  it('never retries a CONTENT_FILTERED image and audits the failure', async () => {
    const audit = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      auditSink: audit,
      dispatch: { retry: { maxRetries: 2, initialDelayMs: 0 } },
    });
    gateways.push(gateway);
    server.enqueue('content_filtered');
    const error = await refusal(gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox' }));
    expect(error).toMatchObject({ code: 'BACKEND_ERROR' });
    expect((error.details as { reason?: string }).reason).toBe('content_filtered');
    expect(server.requests).toHaveLength(1);
    expect(audit.records).toHaveLength(1);
    expect(JSON.stringify(audit.records)).not.toContain(TEST_KEY);
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      dispatch: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 } },
    });
    gateways.push(gateway);
    server.enqueue('server_error');
    const result = await gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox' });
    expect(result.images).toHaveLength(1);
    expect(server.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it('returns the good image of a partly failed v1 call under return_partial, never retrying it (issue 20.5)', async () => {
    const audit = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      auditSink: audit,
      dispatch: {
        partialFailure: 'return_partial',
        retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 },
      },
    });
    gateways.push(gateway);
    server.enqueue({ type: 'mixed_artifacts', filtered: 1, failed: 1 });
    const result = await gateway.generate({
      model: 'stability/stable-diffusion-xl-1024-v1-0',
      prompt: 'a fox',
      n: 3,
    });
    expect(result.images).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
    expect(result.warnings).toContainEqual(expect.objectContaining({ type: 'partial', param: 'n' }));
    expect(result.warnings).toContainEqual(expect.objectContaining({ type: 'content_filtered' }));
    expect(audit.records).toHaveLength(1);
    expect(JSON.stringify(audit.records[0])).toContain('provider:stability:generation_error');
  });

  it('fails a partly failed v1 call under the default fail policy without retrying it (issue 20.5)', async () => {
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      dispatch: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 } },
    });
    gateways.push(gateway);
    server.enqueue({ type: 'mixed_artifacts', failed: 1 });
    const error = await refusal(
      gateway.generate({ model: 'stability/stable-diffusion-xl-1024-v1-0', prompt: 'a fox', n: 2 }),
    );
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', retryable: false });
    expect(error.message).toContain('return_partial');
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 429 without retry-after on the normal backoff, not after an invented 60 s (issue 20.6)', async () => {
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      // The default cap: a 60 s hint would be honoured at it and the request would sleep a minute.
      dispatch: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 60_000 } },
    });
    gateways.push(gateway);
    server.enqueue('rate_limited');
    const result = await gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox' });
    expect(result.images).toHaveLength(1);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('fails fast as rate_limited, with the hint, when retry-after is at or above the cap (issue 20.6)', async () => {
    const gateway = createGateway({
      providers: [createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url })],
      guardrails: [],
      dispatch: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 60_000 } },
    });
    gateways.push(gateway);
    server.enqueue({ type: 'rate_limited', retryAfterSeconds: 60 });
    const error = await refusal(gateway.generate({ model: 'stability/stable-image-core', prompt: 'a fox' }));
    expect(error).toMatchObject({ code: 'BACKEND_ERROR', retryAfterMs: 60_000 });
    expect((error.details as { reason?: string }).reason).toBe('rate_limited');
    expect(server.requests.map((r) => r.status)).toEqual([429]);
  });
});

import { createGateway } from '@pixelgate/core';
import { GatewayError, type ProviderCall, silentLogger, sniffImage } from '@pixelgate/core/provider-utils';
import { validateCapabilities } from '@pixelgate/core/spec';
import { describe, expect, it } from 'vitest';
import { createLocalProvider } from './local-provider.ts';
import { renderImage } from './render-image.ts';

const context = (signal = new AbortController().signal) => ({
  signal,
  requestId: 'r',
  callIndex: 0,
  attempt: 0,
  logger: silentLogger,
});

function callFor(request: Record<string, unknown>): ProviderCall {
  const provider = createLocalProvider();
  const { model } = createGateway({ providers: [provider] }).registry.resolve('local/placeholder');
  const { call } = validateCapabilities({ prompt: 'a lighthouse', ...request } as never, model, 'strict');
  return { ...call, providerOptions: {} };
}

describe('renderImage', () => {
  it('draws the same bytes for the same prompt and seed, and different ones otherwise', async () => {
    const a = await renderImage({ width: 64, height: 48, prompt: 'x', seed: 1 });
    const b = await renderImage({ width: 64, height: 48, prompt: 'x', seed: 1 });
    const c = await renderImage({ width: 64, height: 48, prompt: 'x', seed: 2 });
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, c)).not.toBe(0);
    expect(sniffImage(a)).toEqual({ mediaType: 'image/png', width: 64, height: 48 });
  });

  it('reads compression as OpenAI does: 100 is the best quality, so the largest file (issue 20.8)', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const best = await renderImage({ width: 256, height: 256, format, compression: 100, noise: 0.3 });
      const worst = await renderImage({ width: 256, height: 256, format, compression: 5, noise: 0.3 });
      expect(best.byteLength).toBeGreaterThan(worst.byteLength * 2);
    }
  });

  it('encodes real PNG, JPEG and WebP files of the requested size', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const bytes = await renderImage({ width: 96, height: 32, format });
      expect(sniffImage(bytes)).toEqual({ mediaType: `image/${format}`, width: 96, height: 32 });
    }
  });

  it('makes larger files with noise (for size-limit tests and benchmarks)', async () => {
    const smooth = await renderImage({ width: 256, height: 256 });
    const noisy = await renderImage({ width: 256, height: 256, noise: 0.3 });
    expect(noisy.byteLength).toBeGreaterThan(smooth.byteLength * 5);
  });

  it('refuses impossible sizes', async () => {
    await expect(renderImage({ width: 0, height: 10 })).rejects.toThrow(RangeError);
    await expect(renderImage({ width: 10_000, height: 10_000 })).rejects.toThrow(RangeError);
  });
});

describe('createLocalProvider', () => {
  it('returns n images with consecutive seeds in the requested format', async () => {
    const provider = createLocalProvider();
    const result = await provider.generate(
      callFor({ n: 3, size: '256x256', seed: 7, output_format: 'webp' }),
      context(),
    );
    expect(result.images.map((image) => image.seed)).toEqual([7, 8, 9]);
    for (const image of result.images)
      expect(sniffImage(image.bytes)).toEqual({ mediaType: 'image/webp', width: 256, height: 256 });
  });

  it('stops during its artificial latency when aborted', async () => {
    const provider = createLocalProvider({ latencyMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const error = await provider
      .generate(callFor({ size: '256x256' }), context(controller.signal))
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
  });

  it('serves a ratio request through the gateway at the ratio size, and splits per-call limits', async () => {
    const gateway = createGateway({ providers: [createLocalProvider()], guardrails: [] });
    const wide = await gateway.generate({ model: 'local/placeholder', prompt: 'x', aspect_ratio: '16:9' });
    expect(wide.images[0]).toMatchObject({ width: 1344, height: 768 });
    const split = await gateway.generate({
      model: 'local/placeholder-single',
      prompt: 'x',
      n: 3,
      size: '512x512',
      seed: 1,
    });
    expect(split.images.map((image) => image.seed)).toEqual([1, 2, 3]);
    await gateway.close();
  });

  it('declares edits, masks, input fidelity, variations and streaming as data, on one model only', async () => {
    const gateway = createGateway({ providers: [createLocalProvider()], guardrails: [] });
    const full = gateway.registry.resolve('local/placeholder').model.capabilities;
    expect(full.edit).toMatchObject({
      maxImages: 16,
      mask: { convention: 'alpha', required: false },
      inputFidelity: ['low', 'high'],
      input: { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'], maxSide: 4096 },
    });
    expect(full.variation?.input.maxBytes).toBe(25 * 1024 * 1024);
    expect(full.stream).toEqual({ maxPartialImages: 3, operations: ['generate', 'edit'] });
    const single = gateway.registry.resolve('local/placeholder-single').model.capabilities;
    expect([single.edit, single.variation, single.stream]).toEqual([undefined, undefined, undefined]);
    await gateway.close();
  });

  it('checks its provider options', async () => {
    const gateway = createGateway({ providers: [createLocalProvider()], guardrails: [] });
    const error = await gateway
      .generate({ model: 'local/placeholder', prompt: 'x', provider_options: { local: { noise: 2 } } })
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.param).toBe('provider_options.local.noise');
    await gateway.close();
  });
});

import { createGateway, GatewayError } from '@pixelgate/core';
import { describe, expect, it } from 'vitest';
import { busyPicture, halfMask, meanDifference, pngFromRgba, rgbaOf } from '../test/local-test-images.ts';
import { createLocalProvider } from './local-provider.ts';

const left = (x: number) => x < 128;
const right = (x: number) => x >= 128;

/** The whole surface through a real gateway and its pipeline (input checks, mask conversion, dispatch). */
describe('provider-local through the gateway', () => {
  const gatewayOf = () => createGateway({ providers: [createLocalProvider()], guardrails: [] });

  it('edits with an alpha mask: the kept half comes back unchanged', async () => {
    const gateway = gatewayOf();
    const image = await busyPicture(256, 256);
    const result = await gateway.edit({
      model: 'local/placeholder',
      prompt: 'a red door',
      image,
      mask: await halfMask(256, 256),
      size: '256x256',
      input_fidelity: 'low',
    });
    const edited = await rgbaOf(Buffer.from(result.data[0]!.b64_json!, 'base64'));
    const before = (await rgbaOf(image)).data;
    expect(meanDifference(before, edited.data, 256, left)).toBe(0);
    expect(meanDifference(before, edited.data, 256, right)).toBeGreaterThan(5);
    await gateway.close();
  });

  it('edits with a luminance mask the pipeline converts to the alpha convention the model declares', async () => {
    const gateway = gatewayOf();
    const image = await busyPicture(256, 256);
    const white = Buffer.alloc(256 * 256 * 4, 0);
    for (let i = 0; i < 256 * 256; i++) {
      white[i * 4 + 3] = 255;
      if (right(i % 256)) white.fill(255, i * 4, i * 4 + 3);
    }
    const result = await gateway.edit({
      model: 'local/placeholder',
      prompt: 'a red door',
      image: [image, await busyPicture(64, 64, 9)],
      mask: await pngFromRgba(white, 256, 256),
      mask_convention: 'luminance',
      size: '256x256',
    });
    const edited = await rgbaOf(Buffer.from(result.data[0]!.b64_json!, 'base64'));
    const before = (await rgbaOf(image)).data;
    expect(meanDifference(before, edited.data, 256, left)).toBe(0);
    expect(meanDifference(before, edited.data, 256, right)).toBeGreaterThan(5);
    await gateway.close();
  });

  it('makes variations and streams partial images before the completed event', async () => {
    const gateway = gatewayOf();
    const variation = await gateway.createVariation({
      model: 'local/placeholder',
      image: await busyPicture(256, 256),
      n: 2,
      size: '256x256',
    });
    expect(variation.data).toHaveLength(2);
    const events = [];
    for await (const event of gateway.stream('generate', {
      model: 'local/placeholder',
      prompt: 'a lighthouse',
      size: '256x256',
      partial_images: 2,
    })) {
      events.push(event.type === 'partial_image' ? `partial ${event.partialImageIndex}` : event.type);
    }
    expect(events).toEqual(['partial 0', 'partial 1', 'completed']);
    await gateway.close();
  });

  it('refuses an edit on the model that declares none, naming the model', async () => {
    const gateway = gatewayOf();
    const error = await gateway
      .edit({ model: 'local/placeholder-single', prompt: 'x', image: await busyPicture(64, 64) })
      .catch((e: unknown) => e);
    expect(GatewayError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    await gateway.close();
  });
});

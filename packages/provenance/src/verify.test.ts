import { describe, expect, it } from 'vitest';
import { makeImage } from '../test/images.ts';
import { verifyProvenance } from './verify.ts';

describe('verifyProvenance', () => {
  it('reports Absent for an image without a manifest', async () => {
    expect(await verifyProvenance(await makeImage('png', 8))).toEqual({
      state: 'Absent',
      mediaType: 'image/png',
      reasons: [],
    });
  });

  it('refuses bytes that are not a PNG, JPEG or WebP image with a VALIDATION_ERROR naming the field', async () => {
    const error = await verifyProvenance(new TextEncoder().encode('hello')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'image' });
    expect((error as Error).message).toMatch(/not a recognised image.*image\/png, image\/jpeg, image\/webp/);
  });

  it("reads a store whose JUMBF is corrupt as Invalid with the reader's reason", async () => {
    // A PNG with a caBX chunk that holds garbage: the manifest is there but unreadable.
    const png = Buffer.from(await makeImage('png', 8));
    const garbage = Buffer.from('caBX\x00\x00\x00\x10jumbc2pa-garbage!', 'latin1');
    const chunk = Buffer.concat([Buffer.from([0, 0, 0, garbage.length - 4]), garbage, Buffer.alloc(4)]);
    const tampered = Buffer.concat([png.subarray(0, 33), chunk, png.subarray(33)]);
    const result = await verifyProvenance(tampered);
    expect(result.state).toBe('Invalid');
    expect(result.reasons[0]?.code).toBe('manifest.unreadable');
  });

  it('refuses trust anchors that hold no certificate, naming the field', async () => {
    const error = await verifyProvenance(await makeImage('png', 8), { trustAnchors: 'not a pem' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'trustAnchors' });
  });
});

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../test/images.ts';
import { embedXmp } from './embed-xmp.ts';
import { buildXmpPacket } from './xmp-packet.ts';

const packet = (model: string) =>
  buildXmpPacket({ model, creatorTool: 'pixelgate 0.1.0', created: new Date('2026-08-02T00:00:00Z') });

describe('embedXmp', () => {
  it.each(['png', 'jpeg', 'webp'] as const)(
    'writes XMP into a %s that sharp reads, pixels untouched',
    async (format) => {
      const image = await makeImage(format, 33, 17);
      const { bytes, replaced } = embedXmp(image, `image/${format}`, packet('openai/gpt-image-1'));
      expect(replaced).toBe(false);
      const metadata = await sharp(bytes).metadata();
      expect(metadata).toMatchObject({ width: 33, height: 17 });
      expect(metadata.xmp?.toString()).toContain('Iptc4xmpExt:AISystemUsed="openai/gpt-image-1"');
      const [before, after] = await Promise.all([
        sharp(image).raw().toBuffer(),
        sharp(bytes).raw().toBuffer(),
      ]);
      expect(after.equals(before)).toBe(true);
    },
  );

  it.each(['png', 'jpeg', 'webp'] as const)(
    "replaces a %s's existing XMP packet and says so",
    async (format) => {
      const withXmp = new Uint8Array(
        await sharp(await makeImage(format, 20))
          .withXmp(packet('someone-else/model'))
          .toBuffer(),
      );
      const { bytes, replaced } = embedXmp(withXmp, `image/${format}`, packet('local/placeholder'));
      expect(replaced).toBe(true);
      const xmp = (await sharp(bytes).metadata()).xmp?.toString() ?? '';
      expect(xmp).toContain('local/placeholder');
      expect(xmp).not.toContain('someone-else');
    },
  );

  it('keeps the alpha channel of a lossless WebP it extends', async () => {
    const rgba = await sharp({
      create: { width: 8, height: 8, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } },
    })
      .webp({ lossless: true })
      .toBuffer();
    const { bytes } = embedXmp(new Uint8Array(rgba), 'image/webp', packet('m'));
    expect((await sharp(bytes).metadata()).hasAlpha).toBe(true);
    expect((await sharp(bytes).raw().toBuffer()).equals(await sharp(rgba).raw().toBuffer())).toBe(true);
  });

  it('escapes the model name so a crafted one cannot break the packet', () => {
    expect(packet('a"/><x:evil b="')).toContain('AISystemUsed="a&quot;/&gt;&lt;x:evil b=&quot;"');
  });

  it('rejects bytes that are not the claimed format', () => {
    expect(() => embedXmp(new Uint8Array([1, 2, 3, 4]), 'image/jpeg', packet('m'))).toThrow(/not a JPEG/);
  });
});

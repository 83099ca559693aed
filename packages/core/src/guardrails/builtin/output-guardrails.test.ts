import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createGuardrailInput, describeGuardrailConformance } from '../../testing/guardrail-conformance.ts';
import type { GuardrailImage } from '../guardrail.ts';
import { createImageIntegrityGuardrail } from './image-integrity-guardrail.ts';
import { createPromptLengthGuardrail } from './prompt-length-guardrail.ts';
import { createProviderSafetyGuardrail } from './provider-safety-guardrail.ts';

const signal = new AbortController().signal;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}
/** A real, decodable grey PNG (core cannot depend on the renderer in provider-local). */
function encodePng(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const raw = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) raw[y * (width + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]);
}
/** The header of a baseline JPEG (SOI, JFIF APP0, SOF0 with the dimensions). */
function jpegHeader(width: number, height: number): Uint8Array {
  return Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0x00,
    0x10,
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x00,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00,
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x01,
    0x01,
    0x11,
    0x00,
    0xff,
    0xd9,
  ]);
}
const png = encodePng(64, 32);
const jpeg = jpegHeader(64, 32);

const image = (
  bytes: Uint8Array,
  mediaType: string,
  expected: GuardrailImage['expected'] = {},
): GuardrailImage => ({
  bytes,
  mediaType,
  expected,
  labels: [],
});
const outputInput = (images: GuardrailImage[], providerLabels: string[] = []) =>
  createGuardrailInput({ prompt: 'p', images, providerLabels }, 'output');

describe('createImageIntegrityGuardrail', () => {
  const guardrail = createImageIntegrityGuardrail();
  it('allows images that are what they claim', async () => {
    const verdict = await guardrail.check(
      outputInput([image(png, 'image/png', { mediaType: 'image/png', width: 64, height: 32 })]),
      { signal },
    );
    expect(verdict).toEqual({ action: 'allow', labels: [] });
  });
  it('blocks a mislabelled image', async () => {
    const verdict = await guardrail.check(outputInput([image(jpeg, 'image/png')]), { signal });
    expect(verdict).toMatchObject({ action: 'block', labels: ['output:media_type_mismatch'] });
  });
  it('blocks an image of the wrong requested format', async () => {
    const verdict = await guardrail.check(
      outputInput([image(jpeg, 'image/jpeg', { mediaType: 'image/png' })]),
      { signal },
    );
    expect(verdict).toMatchObject({ action: 'block', labels: ['output:media_type_mismatch'] });
  });
  it('blocks wrong dimensions', async () => {
    const verdict = await guardrail.check(outputInput([image(png, 'image/png', { width: 64, height: 64 })]), {
      signal,
    });
    expect(verdict).toMatchObject({ action: 'block', labels: ['output:dimension_mismatch'] });
    expect(verdict.reason).toContain('64x32');
  });
  it('blocks bytes that are not an image', async () => {
    const html = new TextEncoder().encode('<html><body>error</body></html>');
    const verdict = await guardrail.check(outputInput([image(html, 'image/png')]), { signal });
    expect(verdict).toMatchObject({ action: 'block', labels: ['output:not_an_image'] });
    expect(verdict.reason).not.toContain('<html>');
  });
  it('can flag instead of block', async () => {
    const verdict = await createImageIntegrityGuardrail({ action: 'flag' }).check(
      outputInput([image(jpeg, 'image/png')]),
      { signal },
    );
    expect(verdict.action).toBe('flag');
  });
});

describe('createProviderSafetyGuardrail', () => {
  it('turns provider labels into flagged labels', async () => {
    const verdict = await createProviderSafetyGuardrail().check(
      outputInput([{ ...image(png, 'image/png'), labels: ['Violence'] }], ['nsfw', 'safety:filtered']),
      { signal },
    );
    expect(verdict).toMatchObject({
      action: 'flag',
      labels: ['provider:nsfw', 'provider:violence', 'safety:filtered'],
    });
  });
  it('blocks listed labels, with or without prefix', async () => {
    const guardrail = createProviderSafetyGuardrail({ block: ['nsfw'] });
    expect((await guardrail.check(outputInput([], ['NSFW']), { signal })).action).toBe('block');
    expect((await guardrail.check(outputInput([], ['violence']), { signal })).action).toBe('flag');
    expect(
      (await createProviderSafetyGuardrail({ block: ['*'] }).check(outputInput([], ['x']), { signal }))
        .action,
    ).toBe('block');
  });
  it('allows output without labels', async () => {
    expect(await createProviderSafetyGuardrail().check(outputInput([]), { signal })).toEqual({
      action: 'allow',
      labels: [],
    });
  });
});

describe('createPromptLengthGuardrail', () => {
  const guardrail = createPromptLengthGuardrail({ maxLength: 10 });
  it('counts code points, negative prompt included', async () => {
    expect((await guardrail.check(createGuardrailInput('🦊'.repeat(10)), { signal })).action).toBe('allow');
    expect(await guardrail.check(createGuardrailInput('🦊'.repeat(11)), { signal })).toMatchObject({
      action: 'block',
      labels: ['prompt:too_long'],
      reason: 'The prompt has 11 characters; at most 10 are accepted.',
    });
    expect(
      (await guardrail.check(createGuardrailInput({ prompt: '12345', negativePrompt: '123456' }), { signal }))
        .action,
    ).toBe('block');
  });
  it('rejects a bad limit', () => {
    expect(() => createPromptLengthGuardrail({ maxLength: 0 })).toThrow(/positive integer/);
  });
});

describeGuardrailConformance({
  name: 'prompt-length',
  create: () => createPromptLengthGuardrail({ maxLength: 100 }),
  samples: ['short', 'x'.repeat(500)],
  sensitive: ['xxxxxxxxxx'],
});

describeGuardrailConformance({
  name: 'image-integrity',
  create: () => createImageIntegrityGuardrail(),
  samples: [
    {
      prompt: 'p',
      images: [
        {
          bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...new Array(40).fill(0)]),
          mediaType: 'image/png',
          expected: { width: 1, height: 1 },
          labels: [],
        },
      ],
    },
    {
      prompt: 'p',
      images: [
        { bytes: new TextEncoder().encode('not an image'), mediaType: 'image/png', expected: {}, labels: [] },
      ],
    },
  ],
});

describeGuardrailConformance({
  name: 'provider-safety',
  create: () => createProviderSafetyGuardrail({ block: ['nsfw'] }),
  samples: [
    { prompt: 'p', providerLabels: ['nsfw'] },
    { prompt: 'p', providerLabels: [] },
  ],
});

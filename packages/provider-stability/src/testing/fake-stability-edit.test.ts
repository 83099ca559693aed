import { drawTestImage, sniffImage } from '@pixelgate/core/provider-utils';
import { solidPng } from '@pixelgate/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeStabilityServer, startFakeStabilityServer } from './index.ts';

const KEY = 'sk-test-stability-fake-key';
let server: FakeStabilityServer;

function png(width: number, height: number): Blob {
  return new Blob([drawTestImage({ width, height, prompt: 'in' }) as Uint8Array<ArrayBuffer>], {
    type: 'image/png',
  });
}

async function edit(operation: string, parts: Record<string, string | Blob>, accept = 'image/*') {
  const form = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, `${name}.png`);
  }
  const response = await fetch(`${server.url}/v2beta/stable-image/edit/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, accept },
    body: form,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const json = response.headers.get('content-type')?.startsWith('application/json')
    ? JSON.parse(new TextDecoder().decode(bytes))
    : undefined;
  return { response, bytes, json };
}

beforeAll(async () => {
  server = await startFakeStabilityServer();
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

describe('fake Stability server: v2beta edit endpoints', () => {
  it('answers an inpaint with the image size, finish-reason and seed headers, and charges its credits', async () => {
    const { response, bytes } = await edit('inpaint', {
      image: png(200, 100),
      mask: new Blob([solidPng(200, 100, [255, 255, 255]) as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
      prompt: 'a kite',
      seed: '5',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('finish-reason')).toBe('SUCCESS');
    expect(response.headers.get('seed')).toBe('5');
    expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 200, height: 100 });
    expect(server.creditsUsed).toBe(5);
  });

  it('refuses a mask of another size, a file that is not an image, and fields the operation does not take', async () => {
    const cases: Array<[string, Record<string, string | Blob>, RegExp]> = [
      ['inpaint', { image: png(200, 100), mask: png(100, 100), prompt: 'x' }, /^mask: must be the same size/],
      ['inpaint', { image: png(200, 100), prompt: 'x' }, /^mask: is required/],
      [
        'erase',
        { image: new Blob(['GIF89a not really']), mask: png(10, 10) },
        /^image: must be a jpeg, png or webp/,
      ],
      ['erase', { image: png(200, 100), prompt: 'x' }, /^prompt: is not allowed for erase/],
      ['outpaint', { image: png(200, 100) }, /^left: at least one outpaint direction/],
      ['outpaint', { image: png(300, 64), left: '10' }, /^image: the aspect ratio/],
      ['outpaint', { image: png(200, 100), left: '2001' }, /^left: must be an integer between 0 and 2000/],
      ['search-and-replace', { image: png(200, 100), prompt: 'x' }, /^search_prompt: is required/],
      [
        'remove-background',
        { image: png(200, 100), output_format: 'jpeg' },
        /^output_format: must be one of png, webp/,
      ],
      ['remove-background', { image: png(32, 200) }, /^image: every side must be at least 64/],
    ];
    for (const [operation, parts, message] of cases) {
      const { response, json } = await edit(operation, parts);
      expect(response.status, String(message)).toBe(400);
      expect(json).toMatchObject({ name: 'bad_request', errors: [expect.stringMatching(message)] });
    }
    expect(server.creditsUsed).toBe(0);
  });

  it('refuses a field given twice, and answers 404 for an unknown operation', async () => {
    const form = new FormData();
    form.append('image', png(100, 100), 'a.png');
    form.append('image', png(100, 100), 'b.png');
    const twice = await fetch(`${server.url}/v2beta/stable-image/edit/remove-background`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: form,
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ errors: ['image: must be given once'] });
    const unknown = await edit('recolor', { image: png(100, 100) });
    expect(unknown.response.status).toBe(404);
  });

  it('resizes a mismatched mask when told to behave as the API reference describes', async () => {
    const own = await startFakeStabilityServer({ maskSizeMismatch: 'resize' });
    try {
      const form = new FormData();
      form.append('image', png(200, 100), 'image.png');
      form.append('mask', png(50, 50), 'mask.png');
      form.append('prompt', 'x');
      const response = await fetch(`${own.url}/v2beta/stable-image/edit/inpaint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, accept: 'application/json' },
        body: form,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ finish_reason: 'SUCCESS', seed: expect.any(Number) });
    } finally {
      await own.close();
    }
  });
});

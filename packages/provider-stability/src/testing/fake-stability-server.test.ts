import { drawTestImage, sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeStabilityServer, startFakeStabilityServer } from './fake-stability-server.ts';
import { SlidingWindowLimiter } from './sliding-window-limiter.ts';

const KEY = 'sk-test-stability-fake-key';
let server: FakeStabilityServer;

beforeAll(async () => {
  server = await startFakeStabilityServer();
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

function form(fields: Record<string, string | Blob>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
  return body;
}

async function v2(
  endpoint: string,
  fields: Record<string, string | Blob>,
  headers: Record<string, string> = {},
  target: FakeStabilityServer = server,
) {
  const response = await fetch(`${target.url}/v2beta/stable-image/generate/${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, ...headers },
    body: form(fields),
  });
  return response;
}

async function v1(engine: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/generation/${engine}/text-to-image`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
      accept: 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function errorOf(response: Response) {
  return {
    status: response.status,
    body: (await response.json()) as { id: string; name: string; errors?: string[]; message?: string },
  };
}

describe('fake Stability server: v2beta', () => {
  it('answers raw image bytes with finish-reason and seed headers by default', async () => {
    const response = await v2('ultra', {
      prompt: 'a cat',
      aspect_ratio: '21:9',
      seed: '77',
      output_format: 'jpeg',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('finish-reason')).toBe('SUCCESS');
    expect(response.headers.get('seed')).toBe('77');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/jpeg', width: 1536, height: 640 });
    expect(server.creditsUsed).toBe(8);
  });

  it('answers JSON with the image type in the content type, and without the headers', async () => {
    const response = await v2('core', { prompt: 'a cat' }, { accept: 'application/json' });
    expect(response.headers.get('content-type')).toBe('application/json; type=image/png');
    expect(response.headers.get('finish-reason')).toBeNull();
    const body = (await response.json()) as { image: string; finish_reason: string; seed: number };
    expect(body.finish_reason).toBe('SUCCESS');
    expect(body.seed).toBeGreaterThan(0);
    expect(sniffImage(Buffer.from(body.image, 'base64'))).toMatchObject({
      mediaType: 'image/png',
      width: 1280,
      height: 1280,
    });
  });

  it('ignores the empty `none` file the official sample sends to force multipart', async () => {
    const response = await v2('core', { prompt: 'a cat', none: new Blob([]) });
    expect(response.status).toBe(200);
    expect(server.requests[0]!.files.none).toEqual({
      size: 0,
      filename: 'blob',
      type: 'application/octet-stream',
    });
  });

  it('validates every field per endpoint with the {id, name, errors[]} body', async () => {
    const cases: Array<[string, Record<string, string | Blob>, string]> = [
      ['core', {}, 'prompt: is required'],
      ['core', { prompt: 'x'.repeat(10_001) }, 'prompt:'],
      ['core', { prompt: 'a', negative_prompt: 'n'.repeat(10_001) }, 'negative_prompt:'],
      ['core', { prompt: 'a', aspect_ratio: '4:3' }, 'aspect_ratio:'],
      ['core', { prompt: 'a', output_format: 'gif' }, 'output_format:'],
      ['core', { prompt: 'a', seed: '4294967295' }, 'seed:'],
      ['core', { prompt: 'a', seed: '-1' }, 'seed:'],
      ['core', { prompt: 'a', style_preset: 'watercolour' }, 'style_preset:'],
      ['core', { prompt: 'a', cfg_scale: '4' }, 'cfg_scale: is not allowed'],
      ['core', { prompt: 'a', model: 'sd3.5-large' }, 'model: is not allowed'],
      ['ultra', { prompt: 'a', mode: 'image-to-image' }, 'mode: is not allowed'],
      ['sd3', { prompt: 'a', model: 'sd4-huge' }, 'model:'],
      ['sd3', { prompt: 'a', cfg_scale: 'lots' }, 'cfg_scale:'],
      ['sd3', { prompt: 'a', mode: 'image-to-image' }, 'image: is required'],
      ['sd3', { prompt: 'a', strength: '0.5' }, 'strength:'],
    ];
    for (const [endpoint, fields, message] of cases) {
      const { status, body } = await errorOf(await v2(endpoint, fields));
      expect(status, JSON.stringify(fields)).toBe(400);
      expect(body.name).toBe('bad_request');
      expect(body.id).toMatch(/^[0-9a-f]{32}$/);
      expect(body.errors?.[0]).toContain(message);
    }
    expect(server.creditsUsed).toBe(0);
  });

  it('accepts every sd3 model (and the legacy ids), charging each its own credits', async () => {
    for (const model of ['sd3.5-large', 'sd3.5-large-turbo', 'sd3.5-medium', 'sd3.5-flash', 'sd3-medium']) {
      expect((await v2('sd3', { prompt: 'a', model })).status).toBe(200);
    }
    expect(server.creditsUsed).toBe(6.5 + 4 + 3.5 + 2.5 + 3.5);
  });

  it('does image-to-image on sd3 and ultra at the input size, requiring strength', async () => {
    const input = new Blob(
      [drawTestImage({ width: 320, height: 192, format: 'png' }) as Uint8Array<ArrayBuffer>],
      {
        type: 'image/png',
      },
    );
    const ok = await v2('sd3', { prompt: 'a', mode: 'image-to-image', image: input, strength: '0.6' });
    expect(sniffImage(new Uint8Array(await ok.arrayBuffer()))).toMatchObject({ width: 320, height: 192 });
    const missing = await errorOf(await v2('ultra', { prompt: 'a', image: input }));
    expect(missing.body.errors?.[0]).toContain('strength: is required');
    const withRatio = await errorOf(
      await v2('sd3', {
        prompt: 'a',
        mode: 'image-to-image',
        image: input,
        strength: '0.6',
        aspect_ratio: '1:1',
      }),
    );
    expect(withRatio.body.errors?.[0]).toContain('aspect_ratio');
  });

  it('refuses a body that is not multipart, an unknown accept and long client headers', async () => {
    const json = await fetch(`${server.url}/v2beta/stable-image/generate/core`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a' }),
    });
    expect((await errorOf(json)).body.errors?.[0]).toContain('content-type');
    expect((await errorOf(await v2('core', { prompt: 'a' }, { accept: 'text/html' }))).status).toBe(400);
    expect(
      (await errorOf(await v2('core', { prompt: 'a' }, { 'stability-client-id': 'x'.repeat(257) }))).status,
    ).toBe(400);
  });

  it('answers 401 without a valid key, and 404 for an unknown endpoint or path', async () => {
    const noKey = await fetch(`${server.url}/v2beta/stable-image/generate/core`, {
      method: 'POST',
      body: form({ prompt: 'a' }),
    });
    expect(noKey.status).toBe(401);
    expect((await v2('core', { prompt: 'a' }, { authorization: 'Bearer wrong-key' })).status).toBe(401);
    expect((await errorOf(await v2('mega', { prompt: 'a' }))).status).toBe(404);
    expect((await fetch(`${server.url}/v2beta/elsewhere`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 413 above the request size limit, without reading the rest', async () => {
    const small = await startFakeStabilityServer({ maxRequestBytes: 64 * 1024 });
    try {
      const big = new Blob([new Uint8Array(256 * 1024)], { type: 'image/png' });
      const response = await v2('ultra', { prompt: 'a', image: big, strength: '0.5' }, {}, small);
      expect(response.status).toBe(413);
      expect(((await response.json()) as { errors: string[] }).errors[0]).toContain('65536');
    } finally {
      await small.close();
    }
  });

  it('uses configured pixel sizes for a ratio', async () => {
    const custom = await startFakeStabilityServer({ pixelSizes: { core: { '1:1': '1536x1536' } } });
    try {
      const response = await v2('core', { prompt: 'a' }, {}, custom);
      expect(sniffImage(new Uint8Array(await response.arrayBuffer()))).toMatchObject({
        width: 1536,
        height: 1536,
      });
    } finally {
      await custom.close();
    }
  });

  it('answers a retired model with 404', async () => {
    const retiring = await startFakeStabilityServer({
      retiredModels: ['sd3.5-medium', 'stable-image-ultra'],
    });
    try {
      expect((await v2('sd3', { prompt: 'a', model: 'sd3.5-medium' }, {}, retiring)).status).toBe(404);
      expect((await v2('ultra', { prompt: 'a' }, {}, retiring)).status).toBe(404);
      expect((await v2('sd3', { prompt: 'a', model: 'sd3.5-flash' }, {}, retiring)).status).toBe(200);
    } finally {
      await retiring.close();
    }
  });

  it('serves queued scenarios in order, then success again; moderation is not charged', async () => {
    server.enqueue('moderation', 'content_filtered', 'insufficient_credit');
    const moderated = await errorOf(await v2('core', { prompt: 'a' }));
    expect(moderated).toMatchObject({ status: 403, body: { name: 'content_moderation' } });
    const filtered = await v2('core', { prompt: 'a' });
    expect(filtered.status).toBe(200);
    expect(filtered.headers.get('finish-reason')).toBe('CONTENT_FILTERED');
    expect(sniffImage(new Uint8Array(await filtered.arrayBuffer()))).toMatchObject({
      width: 1280,
      height: 1280,
    });
    expect((await v2('core', { prompt: 'a' })).status).toBe(402);
    expect((await v2('core', { prompt: 'a' })).headers.get('finish-reason')).toBe('SUCCESS');
    expect(server.creditsUsed).toBe(6);
  });
});

describe('fake Stability server: v1', () => {
  const prompt = { text_prompts: [{ text: 'a cat', weight: 1 }] };

  it('answers artifacts with consecutive seeds for several samples', async () => {
    const response = await v1('stable-diffusion-xl-1024-v1-0', {
      ...prompt,
      width: 1152,
      height: 896,
      samples: 2,
      seed: 10,
    });
    const body = (await response.json()) as {
      artifacts: Array<{ base64: string; seed: number; finishReason: string }>;
    };
    expect(body.artifacts.map((a) => [a.seed, a.finishReason])).toEqual([
      [10, 'SUCCESS'],
      [11, 'SUCCESS'],
    ]);
    expect(sniffImage(Buffer.from(body.artifacts[0]!.base64, 'base64'))).toMatchObject({
      width: 1152,
      height: 896,
    });
  });

  it('enforces the SDXL whitelist, the pixel-count engines and the field ranges with {id, name, message}', async () => {
    const cases: Array<[string, Record<string, unknown>, string, Record<string, string>?]> = [
      [
        'stable-diffusion-xl-1024-v1-0',
        { ...prompt, width: 1024, height: 768 },
        'invalid_sdxl_v1_dimensions',
      ],
      ['stable-diffusion-xl-1024-v1-0', prompt, 'invalid_sdxl_v1_dimensions'],
      ['stable-diffusion-512-v2-1', { ...prompt, width: 1024, height: 1088 }, 'invalid_pixel_count'],
      ['stable-diffusion-768-v2-1', { ...prompt, width: 512, height: 512 }, 'invalid_pixel_count'],
      [
        'stable-diffusion-xl-beta-v2-2-2',
        { ...prompt, width: 640, height: 640 },
        'invalid_sdxl_v222_dimensions',
      ],
      ['stable-diffusion-512-v2-1', { ...prompt, width: 500 }, 'invalid_height_or_width'],
      ['stable-diffusion-512-v2-1', { ...prompt, samples: 11 }, 'invalid_samples'],
      ['stable-diffusion-512-v2-1', { ...prompt, samples: 2 }, 'invalid_samples', { accept: 'image/png' }],
      ['stable-diffusion-512-v2-1', { ...prompt, steps: 5 }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { ...prompt, cfg_scale: 36 }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { ...prompt, seed: 4_294_967_296 }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { ...prompt, sampler: 'EULER' }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { ...prompt, style_preset: 'watercolour' }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { text_prompts: [{ text: 'x'.repeat(2001) }] }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { text_prompts: [] }, 'bad_request'],
      ['stable-diffusion-512-v2-1', { ...prompt, negative_prompt: 'x' }, 'bad_request'],
    ];
    for (const [engine, body, name, headers] of cases) {
      const { status, body: error } = await errorOf(await v1(engine, body, headers));
      expect(status, JSON.stringify(body)).toBe(400);
      expect(error.name, JSON.stringify(body)).toBe(name);
      expect(typeof error.message).toBe('string');
      expect(error.errors).toBeUndefined();
    }
  });

  it('accepts the largest v1 seed, which v2beta refuses', async () => {
    const response = await v1('stable-diffusion-512-v2-1', { ...prompt, seed: 4_294_967_295 });
    expect(response.status).toBe(200);
  });

  it('answers an unknown engine with 404 not_found, and lists engines', async () => {
    expect(await errorOf(await v1('stable-diffusion-9000', prompt))).toMatchObject({
      status: 404,
      body: { name: 'not_found' },
    });
    const list = await fetch(`${server.url}/v1/engines/list`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const engines = (await list.json()) as Array<{ id: string }>;
    expect(engines.map((e) => e.id)).toContain('stable-diffusion-xl-1024-v1-0');
  });
});

describe('fake Stability server: rate limit and lifecycle', () => {
  it("enforces Stability's own figures (150 per 10 s, then locked out) when asked", async () => {
    let now = 0;
    const limited = await startFakeStabilityServer({
      rateLimit: true,
      retryAfterOnRateLimit: true,
      now: () => now,
    });
    try {
      const hit = () =>
        fetch(`${limited.url}/v1/generation/stable-diffusion-512-v2-1/text-to-image?probe`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEY}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          // An invalid body: the limiter counts requests, not successes, and this keeps the test fast.
          body: JSON.stringify({ text_prompts: [] }),
        });
      for (let i = 0; i < 150; i++) expect((await hit()).status).toBe(400);
      const refused = await hit();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      now += 30_000;
      expect((await hit()).headers.get('retry-after')).toBe('30');
      now += 30_000;
      expect((await hit()).status).toBe(400);
    } finally {
      await limited.close();
    }
  });

  it('closes with a slow answer pending, without waiting for it', async () => {
    const slow = await startFakeStabilityServer();
    slow.enqueue({ type: 'slow', delayMs: 60_000 });
    const pending = v2('core', { prompt: 'a' }, {}, slow).then(
      (response) => response.status,
      () => 'disconnected',
    );
    await slow.waitForRequests(1);
    await slow.close();
    expect(await pending).toBe('disconnected');
  });
});

describe('SlidingWindowLimiter', () => {
  it('counts within a sliding window, per caller', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1000, lockoutMs: 5000 }, () => now);
    expect(limiter.take('a')).toBeUndefined();
    now = 600;
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('b')).toBeUndefined();
    now = 1001; // the first hit of 'a' left the window
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBe(5000);
    now = 3001;
    expect(limiter.take('a')).toBe(3000);
    now = 6001;
    expect(limiter.take('a')).toBeUndefined();
  });

  it('refuses impossible settings', () => {
    expect(() => new SlidingWindowLimiter({ limit: 0, windowMs: 1000, lockoutMs: 0 })).toThrow(RangeError);
  });
});

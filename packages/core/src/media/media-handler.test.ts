import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import { createMediaHandler, parseRangeHeader } from './media-handler.ts';
import { createMediaSigner } from './media-token-signer.ts';

const START = Date.UTC(2026, 0, 1);
const BYTES = new Uint8Array(Array.from({ length: 1000 }, (_, index) => index % 251));

async function setup(options: { storage?: StorageAdapter } = {}) {
  let now = START;
  const clock = { now: () => now };
  const storage = options.storage ?? createMemoryStorage({ now: () => new Date(now) });
  const signer = createMediaSigner({
    keys: [{ id: 'k1', secret: 's'.repeat(40) }],
    activeKeyId: 'k1',
    clock,
  });
  const handler = createMediaHandler({ storage, signer, clock });
  await storage.put('img/a.png', BYTES, { mediaType: 'image/png', metadata: { tenant: 'tenant-1' } });
  const { token } = signer.issue({ key: 'img/a.png', tenantId: 'tenant-1', mediaType: 'image/png' });
  const url = (value: string) => `http://gateway.test/v1/media/${value}`;
  return {
    storage,
    signer,
    handler,
    token,
    url,
    advance: (ms: number) => {
      now += ms;
    },
    get: (value: string, headers: Record<string, string> = {}, method = 'GET') =>
      handler.fetch(new Request(url(value), { method, headers })),
  };
}

async function snapshot(response: Response) {
  return { status: response.status, headers: [...response.headers.entries()], body: await response.text() };
}

describe('media handler', () => {
  it('streams the object with content, caching and safety headers', async () => {
    const { get, token } = await setup();
    const response = await get(token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-length')).toBe('1000');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    expect(response.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(BYTES))).toBe(true);
  });

  it('caps max-age at the remaining token life', async () => {
    const { get, token, advance } = await setup();
    advance(3_000_500);
    expect((await get(token)).headers.get('cache-control')).toBe('private, max-age=599');
  });

  it('answers HEAD with the headers and no body', async () => {
    const { get, token } = await setup();
    const response = await get(token, {}, 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('1000');
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.body).toBeNull();
  });

  it('serves single ranges with 206 and Content-Range', async () => {
    const { get, token } = await setup();
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=900-', 900, 999],
      ['bytes=-10', 990, 999],
      ['bytes=995-5000', 995, 999],
    ];
    for (const [header, start, end] of cases) {
      const response = await get(token, { range: header });
      expect(response.status, header).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(
        Buffer.from(await response.arrayBuffer()).equals(Buffer.from(BYTES.subarray(start, end + 1))),
      ).toBe(true);
    }
  });

  it('answers 416 for an unsatisfiable range and ignores multi-range or malformed headers', async () => {
    const { get, token } = await setup();
    const unsatisfiable = await get(token, { range: 'bytes=1000-1001' });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get('content-range')).toBe('bytes */1000');
    expect(await unsatisfiable.text()).toBe('');
    expect((await get(token, { range: 'bytes=-0' })).status).toBe(416);
    for (const header of ['bytes=0-1,5-6', 'items=0-5', 'bytes=5-1', 'bytes=abc']) {
      const response = await get(token, { range: header });
      expect(response.status, header).toBe(200);
      expect(response.headers.get('content-length')).toBe('1000');
      await response.body?.cancel();
    }
  });

  it('honours If-Range: a stale validator gets the whole object', async () => {
    const { get, token } = await setup();
    const response = await get(token, { range: 'bytes=0-9', 'if-range': '"stale"' });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('answers 304 when If-None-Match matches, 200 when it does not', async () => {
    const { get, token } = await setup();
    const etag = (await get(token, {}, 'HEAD')).headers.get('etag')!;
    for (const header of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
      const response = await get(token, { 'if-none-match': header });
      expect(response.status, header).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect(await response.text()).toBe('');
    }
    const changed = await get(token, { 'if-none-match': '"other"' });
    expect(changed.status).toBe(200);
    await changed.body?.cancel();
  });

  it('answers forged, tampered, truncated, expired, other-tenant and missing-object tokens with the same 404', async () => {
    const { get, token, signer, handler, url, storage, advance } = await setup();
    const missing = signer.issue({
      key: 'img/never-stored.png',
      tenantId: 'tenant-1',
      mediaType: 'image/png',
    }).token;
    const wrongType = signer.issue({ key: 'img/a.png', tenantId: 'tenant-1', mediaType: 'image/webp' }).token;
    const otherTenantsObject = signer.issue({
      key: 'img/a.png',
      tenantId: 'tenant-2',
      mediaType: 'image/png',
    }).token;
    const [keyId, payload, signature] = token.split('.') as [string, string, string];
    const answers = [
      await get('not-a-token'),
      await get(`${keyId}.${payload}.${signature.slice(0, -1)}A`),
      await get(`${keyId}.${payload.slice(0, -3)}.${signature}`),
      await get(token.slice(0, 30)),
      await get(missing),
      await get(wrongType),
      await get(otherTenantsObject),
      await handler.handle(new Request(url(token)), token, { tenantId: 'tenant-2' }),
      await handler.fetch(new Request('http://gateway.test/v1/other/x')),
      await handler.fetch(new Request(`http://gateway.test/v1/media/${token}/extra`)),
    ];
    await storage.delete('img/a.png');
    answers.push(await get(token));
    await storage.put('img/a.png', BYTES, { mediaType: 'image/png', metadata: { tenant: 'tenant-1' } });
    advance(3_600_000);
    answers.push(await get(token), await get(token, {}, 'HEAD'), await get(token, { range: 'bytes=0-1' }));
    const reference = await snapshot(await get('x'));
    expect(reference.status).toBe(404);
    expect(reference.headers).toContainEqual(['cache-control', 'no-store']);
    for (const answer of answers) {
      const seen = await snapshot(answer);
      if (answer.status === 404 && seen.body === '') {
        // HEAD responses carry no body but must otherwise match.
        expect({ ...seen, body: reference.body }).toEqual(reference);
      } else {
        expect(seen).toEqual(reference);
      }
    }
  });

  it('accepts the right tenant from resolveTenant and refuses another', async () => {
    const { signer, storage, token, url } = await setup();
    const handler = createMediaHandler({
      storage,
      signer,
      clock: { now: () => START },
      resolveTenant: (request) => request.headers.get('x-tenant') ?? undefined,
    });
    const own = await handler.fetch(new Request(url(token), { headers: { 'x-tenant': 'tenant-1' } }));
    expect(own.status).toBe(200);
    await own.body?.cancel();
    expect(
      (await handler.fetch(new Request(url(token), { headers: { 'x-tenant': 'tenant-2' } }))).status,
    ).toBe(404);
  });

  it('refuses other methods with 405', async () => {
    const { get, token } = await setup();
    const response = await get(token, {}, 'POST');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 without details when the store fails for a valid token', async () => {
    const memory = createMemoryStorage();
    const broken: StorageAdapter = {
      ...memory,
      id: 'broken',
      put: memory.put.bind(memory),
      get: async () => {
        throw new Error('connection to /var/secret refused');
      },
    };
    const { get, token } = await setup({ storage: broken });
    const response = await get(token);
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain('secret');
  });

  it('pulls the body from storage only as the client reads (no buffering)', async () => {
    let pulls = 0;
    const memory = createMemoryStorage();
    const chunk = new Uint8Array(64 * 1024);
    const lazy: StorageAdapter = {
      ...memory,
      id: 'lazy',
      put: memory.put.bind(memory),
      head: memory.head.bind(memory),
      async get(key) {
        const info = await memory.head(key);
        if (!info) return null;
        return {
          info: { ...info, size: 1000 * chunk.byteLength },
          body: new ReadableStream<Uint8Array>(
            {
              pull(controller) {
                pulls++;
                if (pulls > 1000) return controller.close();
                controller.enqueue(chunk);
              },
            },
            { highWaterMark: 1 },
          ),
        };
      },
    };
    const { get, token } = await setup({ storage: lazy });
    const response = await get(token);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    expect(pulls).toBeLessThan(10);
    await reader.cancel();
  });
});

describe('parseRangeHeader', () => {
  it('parses the three single-range forms against a size', () => {
    expect(parseRangeHeader('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRangeHeader('bytes=3-', 10)).toEqual({ start: 3, end: 9 });
    expect(parseRangeHeader('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRangeHeader('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRangeHeader('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=-', 10)).toBeUndefined();
    expect(parseRangeHeader('bytes=0-1, 2-3', 10)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import { createMediaDelivery } from './media-delivery.ts';
import { createMediaHandler } from './media-handler.ts';
import { createMediaSigner } from './media-token-signer.ts';

const clock = { now: () => Date.UTC(2026, 5, 1) };
const signer = createMediaSigner({ keys: [{ id: 'k1', secret: 'x'.repeat(32) }], activeKeyId: 'k1', clock });

describe('createMediaDelivery', () => {
  it('hands out proxy URLs that the media handler serves, with the expiry', async () => {
    const storage = createMemoryStorage();
    const info = await storage.put('img/a.png', new Uint8Array([1, 2, 3]), {
      mediaType: 'image/png',
      metadata: { tenant: 't1' },
    });
    const delivery = createMediaDelivery({
      signer,
      storage,
      clock,
      publicBaseUrl: 'https://api.example.com/base/',
    });
    const delivered = await delivery.deliver({ info, tenantId: 't1' });
    expect(delivered.mode).toBe('proxy');
    expect(delivered.url).toMatch(
      /^https:\/\/api\.example\.com\/base\/v1\/media\/[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/,
    );
    expect(delivered.expiresAt.getTime()).toBe(clock.now() + 3_600_000);
    const handler = createMediaHandler({ storage, signer, clock, pathPrefix: '/base/v1/media/' });
    const response = await handler.fetch(new Request(delivered.url));
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const short = await delivery.deliver({ info, tenantId: 't1', ttlSeconds: 60 });
    expect(short.expiresAt.getTime()).toBe(clock.now() + 60_000);
    await expect(delivery.deliver({ info, tenantId: 't1', ttlSeconds: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'ttlSeconds',
    });
  });

  it('uses the store presigned URL in presigned mode', async () => {
    const memory = createMemoryStorage();
    const calls: unknown[] = [];
    const storage: StorageAdapter = {
      ...memory,
      id: 'presigning',
      async presign(key, options) {
        calls.push({ key, ...options });
        return `https://bucket.example.com/${key}?sig=1`;
      },
    };
    const info = await memory.put('img/b.png', new Uint8Array([1]), { mediaType: 'image/png' });
    const delivery = createMediaDelivery({ signer, storage, clock, mode: 'presigned' });
    const delivered = await delivery.deliver({ info, tenantId: 't1', ttlSeconds: 120 });
    expect(delivered).toEqual({
      url: 'https://bucket.example.com/img/b.png?sig=1',
      expiresAt: new Date(clock.now() + 120_000),
      mode: 'presigned',
    });
    expect(calls).toEqual([{ key: 'img/b.png', expiresInSeconds: 120, mediaType: 'image/png' }]);
  });

  it('never hands out a link that outlives the object', async () => {
    const storage = createMemoryStorage({ now: () => new Date(clock.now()) });
    const delivery = createMediaDelivery({
      signer,
      storage,
      clock,
      publicBaseUrl: 'https://api.example.com',
    });
    const soon = await storage.put('img/c.png', new Uint8Array([1]), {
      mediaType: 'image/png',
      expiresAt: new Date(clock.now() + 600_000),
    });
    expect((await delivery.deliver({ info: soon, tenantId: 't1' })).expiresAt.getTime()).toBe(
      clock.now() + 600_000,
    );
    const gone = { ...soon, expiresAt: new Date(clock.now() - 1) };
    await expect(delivery.deliver({ info: gone, tenantId: 't1' })).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
      details: { reason: 'object_expired' },
    });
  });

  it('without a configured base, uses the per-delivery base or a root-relative link', async () => {
    const storage = createMemoryStorage();
    const info = await storage.put('img/d.png', new Uint8Array([1]), { mediaType: 'image/png' });
    const delivery = createMediaDelivery({ signer, storage, clock, pathPrefix: '/oai/v1/media' });
    expect((await delivery.deliver({ info, tenantId: 't1', baseUrl: 'http://127.0.0.1:8080' })).url).toMatch(
      /^http:\/\/127\.0\.0\.1:8080\/oai\/v1\/media\/eyJ/,
    );
    expect((await delivery.deliver({ info, tenantId: 't1' })).url).toMatch(/^\/oai\/v1\/media\/eyJ/);
    await expect(
      delivery.deliver({ info, tenantId: 't1', baseUrl: 'javascript:alert(1)' }),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
  });

  it('refuses impossible configuration at startup', () => {
    const storage = createMemoryStorage();
    expect(() => createMediaDelivery({ signer, storage, mode: 'presigned' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR', param: 'mode' }),
    );
    for (const publicBaseUrl of ['ftp://x', 'https://u:p@x.example', 'https://x.example/?a=1', 'not a url']) {
      expect(() => createMediaDelivery({ signer, storage, publicBaseUrl })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      );
    }
    const invalidMode = 'cdn' as unknown as 'proxy';
    expect(() =>
      createMediaDelivery({ signer, storage, mode: invalidMode, publicBaseUrl: 'https://x' }),
    ).toThrow(expect.objectContaining({ param: 'mode' }));
  });
});

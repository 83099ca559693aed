import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import { createMockImageProvider, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { createHttpHandler } from './http-handler.ts';

/** Issue 20.18: a media URL reveals nothing but its expiry, and an altered one is a 404. */
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function mediaUrl() {
  const audit = new MemoryAuditSink();
  const gateway = createGateway({
    providers: [createMockImageProvider({ models: [MOCK_MODEL] })],
    auditSink: audit,
  });
  gateways.push(gateway);
  const handler = createHttpHandler(gateway, { anonymous: { tenantId: 'tenant-visible-name' } });
  const response = await handler(
    new Request('http://gateway.test/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-image', prompt: 'a fox', response_format: 'url' }),
    }),
  );
  const url = ((await response.json()) as { data: Array<{ url: string }> }).data[0]!.url;
  return { handler, url, storageKey: audit.records[0]!.images[0]!.storageKey! };
}

describe('media URLs', () => {
  it('contain neither the tenant id nor the storage key, in any decoding', async () => {
    const { handler, url, storageKey } = await mediaUrl();
    expect(storageKey).toMatch(/^images\//);
    const token = url.slice(url.lastIndexOf('/') + 1);
    const readable = [
      url,
      decodeURIComponent(url),
      ...token.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1')),
    ].join('\n');
    for (const hidden of ['tenant-visible-name', storageKey, storageKey.split('/').at(-1)!, 'image/png']) {
      expect(readable).not.toContain(hidden);
    }
    expect((await handler(new Request(url))).status).toBe(200);
  });

  it('answers every altered token with the same 404', async () => {
    const { handler, url } = await mediaUrl();
    const token = url.slice(url.lastIndexOf('/') + 1);
    const base = url.slice(0, url.length - token.length);
    const parts = token.split('.');
    const altered: string[] = [];
    for (const index of [0, 2, 3, 4]) {
      const part = parts[index]!;
      const changed = `${part.slice(0, 5)}${part[5] === 'A' ? 'B' : 'A'}${part.slice(6)}`;
      altered.push(parts.map((value, at) => (at === index ? changed : value)).join('.'));
    }
    altered.push(token.slice(0, -3), `${token}A`, parts.slice(0, 4).join('.'));
    const bodies = new Set<string>();
    for (const candidate of altered) {
      const response = await handler(new Request(`${base}${candidate}`));
      expect(response.status, candidate).toBe(404);
      bodies.add(await response.text());
    }
    expect(bodies.size).toBe(1);
  });
});

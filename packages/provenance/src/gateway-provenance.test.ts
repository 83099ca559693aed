import {
  createGateway,
  createHttpHandler,
  createMemoryStorage,
  type Gateway,
  MemoryAuditSink,
} from '@pixelgate/core';
import { createLocalProvider } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import {
  FAKE_OPENAI_API_KEY,
  type FakeOpenAIServer,
  startFakeOpenAIServer,
} from '@pixelgate/provider-openai/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDevelopmentCredentials,
  type DevelopmentCredentials,
} from './credentials/development-credentials.ts';
import { createProvenanceStamper, type ProvenanceStamper } from './stamper.ts';
import { verifyProvenance } from './verify.ts';
import { TRAINED_ALGORITHMIC_MEDIA } from './xmp/xmp-packet.ts';

let dev: DevelopmentCredentials;
let stamper: ProvenanceStamper;
let openai: FakeOpenAIServer;
const storage = createMemoryStorage();
const audit = new MemoryAuditSink();
let gateway: Gateway;

beforeAll(async () => {
  dev = await createDevelopmentCredentials();
  stamper = await createProvenanceStamper({
    signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
    trustAnchorsPem: dev.rootCertificatePem,
  });
  openai = await startFakeOpenAIServer();
  gateway = createGateway({
    providers: [
      createLocalProvider(),
      createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: openai.baseURL }),
    ],
    storageAdapter: storage,
    auditSink: audit,
    provenance: stamper,
  });
});
afterAll(async () => {
  await gateway.close();
  await stamper.close();
  await openai.close();
});

async function stored(key: string): Promise<Uint8Array> {
  const object = await storage.get(key);
  return new Uint8Array(await new Response(object!.body).arrayBuffer());
}

async function expectCredentials(bytes: Uint8Array, requestId: string, model: string): Promise<void> {
  const trusted = await verifyProvenance(bytes, { trustAnchors: dev.rootCertificatePem });
  expect(trusted.state).toBe('Trusted');
  expect((await verifyProvenance(bytes)).state).toBe('Valid');
  expect(trusted.manifest?.actions[0]).toMatchObject({
    action: 'c2pa.created',
    digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
  });
  expect(trusted.manifest?.generation).toEqual({ requestId, model });
  expect((await sharp(bytes).metadata()).width).toBeGreaterThan(0);
}

describe.each([
  ['local/placeholder', { size: '256x256', output_format: 'webp' }],
  ['openai/gpt-image-1.5', { size: '1024x1024' }],
  ['openai/gpt-image-2', { size: '1024x1024', output_format: 'jpeg' }],
] as const)('through the gateway: %s', (model, params) => {
  it('delivers b64_json images that read back Trusted, and audits manifest hash and signer', async () => {
    const result = await gateway.generate({ model, prompt: 'a lighthouse at dusk', ...params });
    const bytes = new Uint8Array(Buffer.from(result.data[0]!.b64_json!, 'base64'));
    await expectCredentials(bytes, result.requestId, model);
    const record = audit.records.find((r) => r.requestId === result.requestId)!;
    expect(record.images[0]).toMatchObject({
      manifestHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      signerFingerprint: stamper.signerFingerprint,
    });
    expect(record.images[0]!.sizeBytes).toBe(bytes.byteLength);
    // The file travels: no prompt and no tenant in it unless the operator turns them on.
    expect(Buffer.from(bytes).includes('lighthouse')).toBe(false);
  });

  it('stores and serves by URL the same signed bytes', async () => {
    const result = await gateway.generate({
      model,
      prompt: 'a lighthouse',
      response_format: 'url',
      ...params,
    });
    expect(result.data[0]!.url).toBeTruthy();
    await expectCredentials(await stored(result.images[0]!.storageKey!), result.requestId, model);
  });
});

describe('the native route', () => {
  it("names each image's manifest and signer, as the console shows them", async () => {
    const handler = createHttpHandler(gateway, { anonymous: { tenantId: 'studio' } });
    const response = await handler(
      new Request('http://gateway.test/v1/inference/images/generate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/placeholder', prompt: 'a harbour', size: '256x256' }),
      }),
    );
    const body = (await response.json()) as { data: Array<{ provenance?: Record<string, string> }> };
    expect(body.data[0]!.provenance).toEqual({
      manifest_sha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      signer_fingerprint: stamper.signerFingerprint,
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../test/images.ts';
import {
  createDevelopmentCredentials,
  type DevelopmentCredentials,
} from '../credentials/development-credentials.ts';
import { loadSignerCredentials } from '../credentials/signer-credentials.ts';
import { createProvenanceStamper, type ProvenanceStamper } from '../stamper.ts';
import { verifyProvenance } from '../verify.ts';
import { buildManifestDefinition } from './manifest-definition.ts';
import { createWorkerSigner, type ManifestSigner } from './manifest-signer.ts';

let dev: DevelopmentCredentials;
let stamper: ProvenanceStamper;

beforeAll(async () => {
  dev = await createDevelopmentCredentials();
  stamper = await createProvenanceStamper({
    signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
    workers: 2,
  });
});
afterAll(async () => {
  await stamper.close();
});

describe('signing in worker threads', () => {
  it('signs concurrent images of every format in workers, each reading back Trusted', async () => {
    const formats = ['png', 'jpeg', 'webp', 'png', 'jpeg', 'webp'] as const;
    const images = await Promise.all(formats.map((format, i) => makeImage(format, 32 + i * 8)));
    const results = await Promise.all(
      images.map((image, i) =>
        stamper.stamp(image, { requestId: `req-w${i}`, tenantId: 't', provider: 'local', model: 'local/x' }),
      ),
    );
    const verified = await Promise.all(
      results.map((r) => verifyProvenance(r.bytes, { trustAnchors: dev.rootCertificatePem })),
    );
    expect(verified.map((v) => v.state)).toEqual(Array(6).fill('Trusted'));
    expect(verified.map((v) => v.manifest?.generation?.requestId)).toEqual(images.map((_, i) => `req-w${i}`));
    expect(results.every((r) => r.signerFingerprint === stamper.signerFingerprint)).toBe(true);
  });

  it("rejects a job the library refuses with the library's reason, and keeps working", async () => {
    const key = loadSignerCredentials({
      certificateChainPem: dev.certificateChainPem,
      privateKeyPem: dev.privateKeyPem,
    });
    const signer: ManifestSigner = await createWorkerSigner(key, 1);
    try {
      const definition = buildManifestDefinition({
        facts: { requestId: 'r', model: 'm/m', provider: 'm', created: new Date() },
        mediaType: 'image/png',
        softwareAgent: { name: 'pixelgate', version: '0' },
      });
      await expect(
        signer.sign({ bytes: new Uint8Array([1, 2, 3]), mediaType: 'image/png' }, definition),
      ).rejects.toThrow(/./);
      const good = await signer.sign(
        { bytes: await makeImage('png', 16), mediaType: 'image/png' },
        definition,
      );
      expect((await verifyProvenance(good.bytes)).state).toBe('Valid');
    } finally {
      await signer.close();
    }
  });
});

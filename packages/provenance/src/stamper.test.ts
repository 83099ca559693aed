import { GatewayError } from '@pixelgate/core/provider-utils';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../test/images.ts';
import {
  createDevelopmentCredentials,
  type DevelopmentCredentials,
} from './credentials/development-credentials.ts';
import type { ProvenanceFacts } from './stamp-result.ts';
import { createProvenanceStamper, type ProvenanceStamper } from './stamper.ts';
import { verifyProvenance } from './verify.ts';
import { TRAINED_ALGORITHMIC_MEDIA } from './xmp/xmp-packet.ts';

const facts: ProvenanceFacts = {
  requestId: 'req-stamp-0001',
  tenantId: 'tenant-acme',
  provider: 'local',
  model: 'local/placeholder',
  prompt: 'a red fox in the snow',
};

let dev: DevelopmentCredentials;
let stamper: ProvenanceStamper;

beforeAll(async () => {
  dev = await createDevelopmentCredentials();
  stamper = await createProvenanceStamper({
    signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
    trustAnchorsPem: dev.rootCertificatePem,
    tenants: { 'tenant-xmp': 'xmp', 'tenant-off': 'off' },
  });
});

function flipByteAt(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe.each(['png', 'jpeg', 'webp'] as const)('c2pa mode, %s', (format) => {
  let original: Uint8Array;
  let signed: Uint8Array;

  beforeAll(async () => {
    original = await makeImage(format, 96, 64);
    const result = await stamper.stamp(original, facts);
    expect(result.applied).toBe('c2pa');
    expect(result.mediaType).toBe(`image/${format}`);
    expect(result.manifestHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.signerFingerprint).toBe(stamper.signerFingerprint);
    expect(result.warnings).toEqual([]);
    signed = result.bytes;
  });

  it('reads back Valid without trust anchors and Trusted with the development root', async () => {
    const untrusted = await verifyProvenance(signed);
    expect(untrusted.state).toBe('Valid');
    expect(untrusted.reasons).toEqual([]);
    const trusted = await verifyProvenance(signed, { trustAnchors: dev.rootCertificatePem });
    expect(trusted.state).toBe('Trusted');
    expect(trusted.reasons).toEqual([]);
  });

  it('states c2pa.created by a trained model, names pixelgate and the model, and links the request', async () => {
    const { manifest } = await verifyProvenance(signed);
    expect(manifest?.actions[0]).toMatchObject({
      action: 'c2pa.created',
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent: { name: 'pixelgate', provider: 'local', model: 'local/placeholder' },
    });
    expect(manifest?.generation).toEqual({ requestId: 'req-stamp-0001', model: 'local/placeholder' });
    expect(manifest?.signer.commonName).toContain('DEVELOPMENT ONLY');
  });

  it('keeps prompt and tenant out of the file by default', () => {
    const text = Buffer.from(signed).toString('latin1');
    expect(text).not.toContain('red fox');
    expect(text).not.toContain('tenant-acme');
  });

  it('still decodes, with the same pixels, and carries the IPTC digital source type in XMP', async () => {
    const metadata = await sharp(signed).metadata();
    expect(metadata).toMatchObject({ width: 96, height: 64, format: format === 'jpeg' ? 'jpeg' : format });
    expect(metadata.xmp?.toString()).toContain(
      `Iptc4xmpExt:DigitalSourceType="${TRAINED_ALGORITHMIC_MEDIA}"`,
    );
    expect(metadata.xmp?.toString()).toContain('Iptc4xmpExt:AISystemUsed="local/placeholder"');
    const [before, after] = await Promise.all([
      sharp(original).raw().toBuffer(),
      sharp(signed).raw().toBuffer(),
    ]);
    expect(after.equals(before)).toBe(true);
  });

  it('reads Invalid after a one-byte change to the pixels', async () => {
    const marker = { png: 'IDAT', jpeg: '\xff\xda', webp: 'VP8 ' }[format];
    const at = Buffer.from(signed).indexOf(Buffer.from(marker, 'latin1'));
    expect(at).toBeGreaterThan(0);
    const result = await verifyProvenance(flipByteAt(signed, at + 40));
    expect(result.state).toBe('Invalid');
    expect(result.reasons.map((r) => r.code)).toContain('assertion.dataHash.mismatch');
  });

  it('reads Invalid after a one-byte change to the manifest', async () => {
    const at = Buffer.from(signed).indexOf('req-stamp-0001');
    expect(at).toBeGreaterThan(0);
    const tampered = flipByteAt(signed, at + 4);
    const result = await verifyProvenance(tampered, { trustAnchors: dev.rootCertificatePem });
    expect(result.state).toBe('Invalid');
    expect(result.reasons.length).toBeGreaterThan(0);
  });
});

describe('provenance stamper', () => {
  it('adds no more than 6 KB to an image', async () => {
    const image = await makeImage('png', 256);
    const result = await stamper.stamp(image, facts);
    expect(result.bytes.byteLength - image.byteLength).toBeLessThanOrEqual(6 * 1024);
  });

  it('applies the per-tenant mode: xmp marks without a manifest, off leaves the bytes alone', async () => {
    const image = await makeImage('png', 32);
    const xmp = await stamper.stamp(image, { ...facts, tenantId: 'tenant-xmp' });
    expect(xmp.applied).toBe('xmp');
    expect(xmp.manifestHash).toBeUndefined();
    expect((await sharp(xmp.bytes).metadata()).xmp?.toString()).toContain('trainedAlgorithmicMedia');
    expect((await verifyProvenance(xmp.bytes)).state).toBe('Absent');
    const off = await stamper.stamp(image, { ...facts, tenantId: 'tenant-off' });
    expect(off).toMatchObject({ applied: 'off', warnings: [], labels: [] });
    expect(off.bytes).toBe(image);
    expect(stamper.modeFor('tenant-off')).toBe('off');
    expect(stamper.modeFor('anyone-else')).toBe('c2pa');
  });

  it("keeps a provider's existing manifest as the parent ingredient", async () => {
    const providerSigned = (
      await stamper.stamp(await makeImage('png', 48), { ...facts, requestId: 'req-provider' })
    ).bytes;
    const result = await stamper.stamp(providerSigned, { ...facts, requestId: 'req-gateway' });
    expect(result.parentManifest).toMatch(/^urn:c2pa:/);
    const verified = await verifyProvenance(result.bytes, { trustAnchors: dev.rootCertificatePem });
    expect(verified.state).toBe('Trusted');
    expect(verified.manifest?.ingredients).toEqual([
      expect.objectContaining({ relationship: 'parentOf', activeManifest: result.parentManifest }),
    ]);
    expect(verified.manifest?.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.edited.metadata']);
    expect(verified.manifest?.generation?.requestId).toBe('req-gateway');
  });

  it('explains a Valid (not Trusted) state by the provider signer the anchors do not trust', async () => {
    const provider = await createDevelopmentCredentials({ organization: 'a provider' });
    const providerStamper = await createProvenanceStamper({
      signer: { certificateChainPem: provider.certificateChainPem, privateKeyPem: provider.privateKeyPem },
    });
    const fromProvider = (await providerStamper.stamp(await makeImage('jpeg', 40), facts)).bytes;
    const result = await stamper.stamp(fromProvider, facts);
    expect(result.parentManifest).toMatch(/^urn:c2pa:/);
    const onlyOurs = await verifyProvenance(result.bytes, { trustAnchors: dev.rootCertificatePem });
    expect(onlyOurs.state).toBe('Valid');
    expect(onlyOurs.reasons.map((r) => r.code)).toEqual(['signingCredential.untrusted']);
    const both = await verifyProvenance(result.bytes, {
      // Pasted together without a newline, as people do: both must count.
      trustAnchors: dev.rootCertificatePem.trim() + provider.rootCertificatePem.trim(),
    });
    expect(both.state).toBe('Trusted');
  });

  it('writes prompt and tenant into the manifest only when the operator turns them on', async () => {
    const open = await createProvenanceStamper({
      signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
      include: { prompt: true, tenant: true },
    });
    const result = await open.stamp(await makeImage('png', 16), { ...facts, auditSeq: 42 });
    expect((await verifyProvenance(result.bytes)).manifest?.generation).toEqual({
      requestId: 'req-stamp-0001',
      model: 'local/placeholder',
      auditSeq: 42,
      tenantId: 'tenant-acme',
      prompt: 'a red fox in the snow',
    });
  });

  it('signs concurrent requests independently, each reading back Trusted', async () => {
    const images = await Promise.all([16, 24, 32, 40, 48, 56].map((size) => makeImage('png', size)));
    const results = await Promise.all(
      images.map((image, i) => stamper.stamp(image, { ...facts, requestId: `req-c${i}` })),
    );
    const verified = await Promise.all(
      results.map((r) => verifyProvenance(r.bytes, { trustAnchors: dev.rootCertificatePem })),
    );
    expect(verified.map((v) => v.state)).toEqual(Array(6).fill('Trusted'));
    expect(verified.map((v) => v.manifest?.generation?.requestId)).toEqual(images.map((_, i) => `req-c${i}`));
    expect(new Set(results.map((r) => r.manifestHash)).size).toBe(6);
  });

  it('fails closed by default when an image cannot be signed', async () => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const error = await stamper.stamp(gif, facts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'INTERNAL_ERROR', details: { reason: 'provenance_failed' } });
    expect((error as Error).message).toMatch(/image\/gif images cannot carry provenance/);
  });

  it('delivers unsigned with a warning and an audit label when the operator chooses', async () => {
    const lenient = await createProvenanceStamper({
      signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
      onFailure: 'deliver-unsigned',
    });
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const result = await lenient.stamp(gif, facts);
    expect(result).toMatchObject({ applied: 'off', mediaType: 'image/gif', labels: ['provenance:unsigned'] });
    expect(result.warnings[0]?.message).toMatch(/without content provenance/);
    expect(result.bytes).toBe(gif);
  });

  it('signs with Ed25519 keys too', async () => {
    const ed = await createDevelopmentCredentials({ algorithm: 'ed25519' });
    const edStamper = await createProvenanceStamper({
      signer: { certificateChainPem: ed.certificateChainPem, privateKeyPem: ed.privateKeyPem },
      trustAnchorsPem: ed.rootCertificatePem,
    });
    const result = await edStamper.stamp(await makeImage('jpeg', 40), facts);
    const verified = await verifyProvenance(result.bytes, { trustAnchors: ed.rootCertificatePem });
    expect(verified.state).toBe('Trusted');
    expect(verified.manifest?.signer.algorithm).toBe('Ed25519');
  });
});

describe('startup configuration', () => {
  it("refuses mode 'c2pa' without a signer, naming the field", async () => {
    const error = await createProvenanceStamper({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR', param: 'provenance.signer' });
  });

  it('allows xmp-only without a signer', async () => {
    const xmpOnly = await createProvenanceStamper({ mode: 'xmp' });
    expect(xmpOnly.signerFingerprint).toBeUndefined();
    expect((await xmpOnly.stamp(await makeImage('webp', 20), facts)).applied).toBe('xmp');
  });

  it('refuses a signer whose test signature does not reach the configured trust anchor', async () => {
    const other = await createDevelopmentCredentials();
    const error = await createProvenanceStamper({
      signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
      trustAnchorsPem: other.rootCertificatePem,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect((error as Error).message).toMatch(/reads Valid, not Trusted: signingCredential\.untrusted/);
  });

  it('refuses an expired signer at startup', async () => {
    const old = await createDevelopmentCredentials({ notBefore: new Date('2020-01-01'), validDays: 30 });
    const error = await createProvenanceStamper({
      signer: { certificateChainPem: old.certificateChainPem, privateKeyPem: old.privateKeyPem },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect((error as Error).message).toMatch(/expired/);
  });
});

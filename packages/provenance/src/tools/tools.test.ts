import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../test/images.ts';
import { createProvenanceStamper } from '../stamper.ts';
import { verifyProvenance } from '../verify.ts';
import {
  loadOrCreateDevelopmentCredentials,
  writeDevelopmentCredentials,
} from './development-credentials-files.ts';
import { formatVerification } from './format-verification.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixelgate-provenance-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeDevelopmentCredentials', () => {
  it('writes a root, a chain and a private key (0600) that sign images reading back Trusted', async () => {
    const written = await writeDevelopmentCredentials(dir);
    expect((await stat(written.key)).mode & 0o777).toBe(0o600);
    const [root, chain, key] = await Promise.all(
      [written.root, written.chain, written.key].map((p) => readFile(p, 'utf8')),
    );
    const stamper = await createProvenanceStamper({
      signer: { certificateChainPem: chain!, privateKeyPem: key! },
      trustAnchorsPem: root!,
    });
    expect(stamper.signerFingerprint).toBe(written.fingerprint);
    const stamped = await stamper.stamp(await makeImage('jpeg', 24), {
      requestId: 'r',
      tenantId: 't',
      provider: 'p',
      model: 'p/m',
    });
    const result = await verifyProvenance(stamped.bytes, { trustAnchors: root! });
    expect(result.state).toBe('Trusted');
    const text = formatVerification(result, true);
    expect(text).toMatch(/^Trusted: intact, and signed by a certificate that chains to a trust anchor/);
    expect(text).toContain('action: c2pa.created [trainedAlgorithmicMedia]');
    expect(text).toContain('signed by: pixelgate DEVELOPMENT ONLY content signer');
  });

  it('never overwrites existing credentials unless forced', async () => {
    const before = await readFile(join(dir, 'dev-signer-key.pem'), 'utf8');
    await expect(writeDevelopmentCredentials(dir)).rejects.toThrow(/already exists \(pass --force/);
    expect(await readFile(join(dir, 'dev-signer-key.pem'), 'utf8')).toBe(before);
    await writeDevelopmentCredentials(dir, { force: true, algorithm: 'ed25519' });
    expect(await readFile(join(dir, 'dev-signer-key.pem'), 'utf8')).not.toBe(before);
  });

  it('formats Absent and Invalid results with their reasons', () => {
    expect(formatVerification({ state: 'Absent', mediaType: 'image/png', reasons: [] }, false)).toBe(
      'Absent: no C2PA manifest in this image/png file\n',
    );
    const invalid = formatVerification(
      {
        state: 'Invalid',
        mediaType: 'image/png',
        reasons: [{ code: 'assertion.dataHash.mismatch', explanation: 'hash mismatch' }],
      },
      false,
    );
    expect(invalid).toContain('reason: assertion.dataHash.mismatch: hash mismatch');
  });

  it('loadOrCreate creates once, then returns the same credentials', async () => {
    const folder = join(dir, 'demo');
    const first = await loadOrCreateDevelopmentCredentials(folder);
    const second = await loadOrCreateDevelopmentCredentials(folder);
    expect([first.created, second.created]).toEqual([true, false]);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.rootCertificatePem).toBe(first.rootCertificatePem);
  });
});

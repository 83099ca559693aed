import { generateKeyPairSync } from 'node:crypto';
import { GatewayError } from '@pixelgate/core/provider-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Issued, issue } from '../../test/certificates.ts';
import { createDevelopmentCredentials } from './development-credentials.ts';
import { loadSignerCredentials } from './signer-credentials.ts';
import { x509 } from './x509.ts';

let root: Issued;

beforeAll(async () => {
  root = await issue({ ca: true });
});

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('CONFIGURATION_ERROR');
    return error as GatewayError;
  }
  throw new Error('expected a CONFIGURATION_ERROR');
}

describe('loadSignerCredentials', () => {
  it('accepts development credentials (ES256 and Ed25519) and fingerprints the leaf', async () => {
    for (const algorithm of ['es256', 'ed25519'] as const) {
      const dev = await createDevelopmentCredentials({ algorithm });
      const loaded = loadSignerCredentials({
        certificateChainPem: dev.certificateChainPem,
        privateKeyPem: dev.privateKeyPem,
      });
      expect(loaded.algorithm).toBe(algorithm);
      expect(loaded.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(loaded.chainDer).toHaveLength(1);
    }
  });

  it('accepts a leaf with an intermediate, listed leaf first', async () => {
    const intermediate = await issue({ ca: true, issuer: root, name: 'intermediate' });
    const leaf = await issue({ issuer: intermediate });
    const loaded = loadSignerCredentials({
      certificateChainPem: leaf.pem + intermediate.pem,
      privateKeyPem: leaf.keyPem,
    });
    expect(loaded.chain).toHaveLength(2);
  });

  it('refuses a chain in the wrong order', async () => {
    const intermediate = await issue({ ca: true, issuer: root, name: 'intermediate' });
    const leaf = await issue({ issuer: intermediate });
    const error = refusal(() =>
      loadSignerCredentials({ certificateChainPem: intermediate.pem + leaf.pem, privateKeyPem: leaf.keyPem }),
    );
    expect(error.message).toMatch(/does not match|CA certificate/);
  });

  it('refuses a certificate without an accepted extended key usage, naming what it has', async () => {
    const leaf = await issue({ issuer: root, ekus: ['1.3.6.1.5.5.7.3.1'] });
    const error = refusal(() =>
      loadSignerCredentials({ certificateChainPem: leaf.pem, privateKeyPem: leaf.keyPem }),
    );
    expect(error.message).toContain('1.3.6.1.5.5.7.3.1');
    expect(error.message).toContain('emailProtection');
  });

  it('refuses the anyExtendedKeyUsage EKU', async () => {
    const leaf = await issue({ issuer: root, ekus: ['2.5.29.37.0', '1.3.6.1.5.5.7.3.4'] });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: leaf.pem, privateKeyPem: leaf.keyPem }))
        .message,
    ).toMatch(/anyExtendedKeyUsage/);
  });

  it('refuses a key that does not match the certificate, without echoing the key', async () => {
    const leaf = await issue({ issuer: root });
    const other = await issue({ issuer: root });
    const error = refusal(() =>
      loadSignerCredentials({ certificateChainPem: leaf.pem, privateKeyPem: other.keyPem }),
    );
    expect(error.message).toMatch(/does not match/);
    expect(error.param).toBe('provenance.signer.privateKeyPem');
    expect(JSON.stringify(error.toJSON())).not.toContain('PRIVATE KEY');
  });

  it('refuses an expired and a not-yet-valid certificate', async () => {
    const expired = await issue({
      issuer: root,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    expect(
      refusal(() =>
        loadSignerCredentials({ certificateChainPem: expired.pem, privateKeyPem: expired.keyPem }),
      ).message,
    ).toMatch(/expired/);
    const future = await issue({ issuer: root, notBefore: new Date(Date.now() + 86_400_000) });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: future.pem, privateKeyPem: future.keyPem }))
        .message,
    ).toMatch(/not valid before/);
  });

  it('refuses a self-signed leaf and a CA leaf', async () => {
    const selfSigned = await issue({});
    expect(
      refusal(() =>
        loadSignerCredentials({ certificateChainPem: selfSigned.pem, privateKeyPem: selfSigned.keyPem }),
      ).message,
    ).toMatch(/self-signed/);
    const caLeaf = await issue({ ca: true, issuer: root });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: caLeaf.pem, privateKeyPem: caLeaf.keyPem }))
        .message,
    ).toMatch(/CA certificate/);
  });

  it('refuses a leaf without digitalSignature or without an Authority Key Identifier', async () => {
    const noSign = await issue({ issuer: root, keyUsage: x509.KeyUsageFlags.keyEncipherment });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: noSign.pem, privateKeyPem: noSign.keyPem }))
        .message,
    ).toMatch(/digitalSignature/);
    const noAki = await issue({ issuer: root, authorityKeyId: false });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: noAki.pem, privateKeyPem: noAki.keyPem }))
        .message,
    ).toMatch(/Authority Key Identifier/);
  });

  it('refuses unreadable PEM and unsupported key types', async () => {
    const leaf = await issue({ issuer: root });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: 'nope', privateKeyPem: leaf.keyPem }))
        .message,
    ).toMatch(/no PEM CERTIFICATE/);
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: leaf.pem, privateKeyPem: 'nope' })).message,
    ).toMatch(/not a readable private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(
      refusal(() => loadSignerCredentials({ certificateChainPem: leaf.pem, privateKeyPem: String(rsa) }))
        .message,
    ).toMatch(/rsa key is not supported/);
  });
});

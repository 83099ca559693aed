import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { GatewayError } from '@pixelgate/core/provider-utils';
import type { CoseSignerKey, SigningAlgorithm } from '../c2pa/cose-sign.ts';
import type { ProvenanceSigner } from '../config.ts';
import { x509 } from './x509.ts';

/** Extended key usages C2PA accepts for a claim signer (C2PA 2.x, certificate profile). */
const ACCEPTED_EKUS: Record<string, string> = {
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.36': 'documentSigning',
  '1.3.6.1.4.1.62558.2.1': 'c2pa-kp-claimSigning',
  '1.3.6.1.4.1.311.76.59.1.9': 'Microsoft C2PA signing',
};
const ANY_EKU = '2.5.29.37.0';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Loaded, checked signing credentials. */
export interface SignerCredentials extends CoseSignerKey {
  /** The chain as parsed, leaf first. */
  chain: X509Certificate[];
  /** `sha256:<hex>` of the signer certificate's DER: what the audit record names. */
  fingerprint: string;
}

function refuse(reason: string, param = 'provenance.signer.certificateChainPem'): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `Provenance signer refused: ${reason}`, {
    param,
    details: { reason },
  });
}

function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw refuse('certificateChainPem holds no PEM CERTIFICATE block');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw refuse(`certificate ${index + 1} of the chain is not a readable X.509 certificate`);
    }
  });
}

function parseKey(pem: string): { key: KeyObject; algorithm: SigningAlgorithm } {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw refuse('privateKeyPem is not a readable private key', 'provenance.signer.privateKeyPem');
  }
  if (key.asymmetricKeyType === 'ed25519') return { key, algorithm: 'ed25519' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { key, algorithm: 'es256' };
  }
  const type = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType;
  throw refuse(
    `a ${type} key is not supported; use a P-256 (ES256) or Ed25519 key`,
    'provenance.signer.privateKeyPem',
  );
}

/** The C2PA certificate-profile checks on the signer (leaf) certificate. */
function checkLeafProfile(leaf: X509Certificate, now: Date): void {
  if (leaf.ca)
    throw refuse('the signer certificate is a CA certificate; sign with an end-entity certificate');
  if (leaf.subject === leaf.issuer && leaf.verify(leaf.publicKey)) {
    throw refuse('the signer certificate is self-signed; C2PA requires one issued by a CA');
  }
  if (now < new Date(leaf.validFrom))
    throw refuse(`the signer certificate is not valid before ${leaf.validFrom}`);
  if (now > new Date(leaf.validTo)) throw refuse(`the signer certificate expired on ${leaf.validTo}`);
  const ekus = leaf.keyUsage ?? [];
  if (ekus.includes(ANY_EKU))
    throw refuse('the signer certificate has the anyExtendedKeyUsage EKU, which C2PA forbids');
  if (!ekus.some((oid) => oid in ACCEPTED_EKUS)) {
    throw refuse(
      `the signer certificate's extended key usage (${ekus.join(', ') || 'none'}) has none of ${Object.values(ACCEPTED_EKUS).join(', ')}`,
    );
  }
  const parsed = new x509.X509Certificate(leaf.raw);
  const usage = parsed.getExtension(x509.KeyUsagesExtension);
  if (!usage || (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw refuse('the signer certificate lacks the digitalSignature key usage');
  }
  if (!parsed.getExtension(x509.AuthorityKeyIdentifierExtension)) {
    throw refuse('the signer certificate has no Authority Key Identifier extension');
  }
}

function checkChainLinks(chain: X509Certificate[], now: Date): void {
  for (let i = 1; i < chain.length; i++) {
    const child = chain[i - 1]!;
    const parent = chain[i]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw refuse(
        `certificate ${i} of the chain is not issued by certificate ${i + 1}; list leaf first, then its issuers`,
      );
    }
    if (now > new Date(parent.validTo))
      throw refuse(`certificate ${i + 1} of the chain expired on ${parent.validTo}`);
  }
}

/**
 * Loads the operator's key and chain and refuses, with the reason, anything a C2PA validator would
 * reject later (wrong EKU, key not matching, expired, self-signed or CA leaf, missing key usage or
 * AKI, broken chain order): a CONFIGURATION_ERROR at startup instead of Invalid images in
 * production. The error never includes key material.
 */
export function loadSignerCredentials(signer: ProvenanceSigner, now: Date = new Date()): SignerCredentials {
  const chain = parseChain(signer.certificateChainPem);
  const { key, algorithm } = parseKey(signer.privateKeyPem);
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key)) {
    throw refuse(
      'the private key does not match the signer (first) certificate',
      'provenance.signer.privateKeyPem',
    );
  }
  checkLeafProfile(leaf, now);
  checkChainLinks(chain, now);
  return {
    algorithm,
    privateKey: key,
    chain,
    chainDer: chain.map((cert) => new Uint8Array(cert.raw)),
    fingerprint: `sha256:${leaf.fingerprint256.replaceAll(':', '').toLowerCase()}`,
  };
}

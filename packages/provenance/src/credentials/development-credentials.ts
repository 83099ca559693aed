import { webcrypto } from 'node:crypto';
import type { SigningAlgorithm } from '../c2pa/cose-sign.ts';
import { x509 } from './x509.ts';

/** OIDs of the extended key usages C2PA accepts for claim signers that we put in dev certificates. */
const EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
const DAY_MS = 86_400_000;

/** A development root CA and a signer certificate under it, as PEM text. */
export interface DevelopmentCredentials {
  algorithm: SigningAlgorithm;
  /** The root CA: give it to verifiers as a trust anchor; never part of the signing chain. */
  rootCertificatePem: string;
  /** The signer certificate chain (leaf first), for the stamper's `certificateChainPem`. */
  certificateChainPem: string;
  /** The signer's PKCS#8 private key. */
  privateKeyPem: string;
}

/** Options for {@link createDevelopmentCredentials}. */
export interface DevelopmentCredentialsOptions {
  algorithm?: SigningAlgorithm;
  /** Days the certificates stay valid (default 365). */
  validDays?: number;
  /** Organisation named in both subjects (default "pixelgate development"). */
  organization?: string;
  /** Start of validity (default: one hour ago, to tolerate clock skew). */
  notBefore?: Date;
}

function keyAlgorithm(algorithm: SigningAlgorithm): EcKeyGenParams | Algorithm {
  return algorithm === 'es256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
}

function signingAlgorithm(algorithm: SigningAlgorithm): EcdsaParams | Algorithm {
  return algorithm === 'es256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
}

async function generateKeys(algorithm: SigningAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithm(algorithm), true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

function pemOf(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${base64.trimEnd()}\n-----END ${label}-----\n`;
}

/**
 * Creates a development root CA and a signer certificate with the profile C2PA validators require
 * (not a CA, not self-signed, digitalSignature key usage, emailProtection + documentSigning EKUs,
 * subject and authority key identifiers). Both subjects say "DEVELOPMENT ONLY": a verifier that
 * trusts this root trusts anything signed with this key, so it never belongs in production.
 */
export async function createDevelopmentCredentials(
  options: DevelopmentCredentialsOptions = {},
): Promise<DevelopmentCredentials> {
  const algorithm = options.algorithm ?? 'es256';
  const organization = options.organization ?? 'pixelgate development';
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? 365) * DAY_MS);
  const crypto = webcrypto as unknown as Crypto;
  const rootKeys = await generateKeys(algorithm);
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=pixelgate DEVELOPMENT ONLY root CA, O=${organization}`,
      keys: rootKeys,
      notBefore,
      notAfter,
      signingAlgorithm: signingAlgorithm(algorithm),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const signerKeys = await generateKeys(algorithm);
  const signer = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=pixelgate DEVELOPMENT ONLY content signer, O=${organization}`,
      issuer: root.subject,
      publicKey: signerKeys.publicKey,
      signingKey: rootKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: signingAlgorithm(algorithm),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([EKU_EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING], false),
        await x509.SubjectKeyIdentifierExtension.create(signerKeys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(root, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', signerKeys.privateKey);
  return {
    algorithm,
    rootCertificatePem: `${root.toString('pem')}\n`,
    certificateChainPem: `${signer.toString('pem')}\n`,
    privateKeyPem: pemOf('PRIVATE KEY', pkcs8),
  };
}

import { webcrypto } from 'node:crypto';
import { x509 } from '../src/credentials/x509.ts';

const crypto = webcrypto as unknown as Crypto;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A key pair and its certificate, for building good and deliberately bad chains in tests. */
export interface Issued {
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
  pem: string;
  keyPem: string;
}

/** What to put in a test certificate; everything defaults to a valid C2PA signer profile. */
export interface IssueOptions {
  issuer?: Issued;
  ca?: boolean;
  ekus?: string[];
  keyUsage?: number;
  authorityKeyId?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  name?: string;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** Issues a P-256 certificate (self-signed when no issuer is given). */
export async function issue(options: IssueOptions = {}): Promise<Issued> {
  const keys = (await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = options.ca ?? false;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(
      options.keyUsage ??
        (ca
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  if (!ca) extensions.push(new x509.ExtendedKeyUsageExtension(options.ekus ?? ['1.3.6.1.5.5.7.3.4'], false));
  if (options.issuer && (options.authorityKeyId ?? true)) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.cert, false, crypto));
  }
  const name = `CN=${options.name ?? (ca ? 'test root' : 'test signer')}`;
  const common = {
    notBefore: options.notBefore ?? new Date(Date.now() - 86_400_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 86_400_000 * 30),
    signingAlgorithm: ECDSA,
    extensions,
  };
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create(
        {
          ...common,
          subject: name,
          issuer: options.issuer.cert.subject,
          publicKey: keys.publicKey,
          signingKey: options.issuer.keys.privateKey,
        },
        crypto,
      )
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys }, crypto);
  return { keys, cert, pem: cert.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SigningAlgorithm } from '../c2pa/cose-sign.ts';
import { createDevelopmentCredentials } from '../credentials/development-credentials.ts';
import { loadSignerCredentials } from '../credentials/signer-credentials.ts';

/** File names `pixelgate provenance init` writes. */
export const DEVELOPMENT_CREDENTIAL_FILES = {
  root: 'dev-root-ca.pem',
  chain: 'dev-signer-chain.pem',
  key: 'dev-signer-key.pem',
} as const;

/** What {@link writeDevelopmentCredentials} wrote. */
export interface WrittenCredentials {
  root: string;
  chain: string;
  key: string;
  /** `sha256:<hex>` of the signer certificate. */
  fingerprint: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates development credentials and writes them as three PEM files into `dir` (the key with
 * mode 0600). Existing files are never overwritten unless `force` is set: replacing a key would
 * silently orphan every image signed with it.
 * @throws Error naming the first file that already exists.
 */
export async function writeDevelopmentCredentials(
  dir: string,
  options: { algorithm?: SigningAlgorithm; force?: boolean; validDays?: number } = {},
): Promise<WrittenCredentials> {
  const paths = {
    root: join(dir, DEVELOPMENT_CREDENTIAL_FILES.root),
    chain: join(dir, DEVELOPMENT_CREDENTIAL_FILES.chain),
    key: join(dir, DEVELOPMENT_CREDENTIAL_FILES.key),
  };
  if (!options.force) {
    for (const path of Object.values(paths)) {
      if (await exists(path))
        throw new Error(`${path} already exists (pass --force to replace the credentials)`);
    }
  }
  const credentials = await createDevelopmentCredentials({
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    ...(options.validDays ? { validDays: options.validDays } : {}),
  });
  const { fingerprint } = loadSignerCredentials({
    certificateChainPem: credentials.certificateChainPem,
    privateKeyPem: credentials.privateKeyPem,
  });
  await mkdir(dir, { recursive: true });
  await writeFile(paths.root, credentials.rootCertificatePem);
  await writeFile(paths.chain, credentials.certificateChainPem);
  await writeFile(paths.key, credentials.privateKeyPem, { mode: 0o600 });
  return { ...paths, fingerprint };
}

/** Development credentials as PEM text, with the files they live in. */
export interface DevelopmentCredentialFiles extends WrittenCredentials {
  rootCertificatePem: string;
  certificateChainPem: string;
  privateKeyPem: string;
  /** Whether this call created them. */
  created: boolean;
}

/**
 * The development credentials in `dir`, created on first use: what the demo signs with, so the
 * root a reader passes to `pixelgate provenance verify --trust` stays the same across runs.
 */
export async function loadOrCreateDevelopmentCredentials(dir: string): Promise<DevelopmentCredentialFiles> {
  const root = join(dir, DEVELOPMENT_CREDENTIAL_FILES.root);
  const created = !(await exists(root));
  if (created) await writeDevelopmentCredentials(dir);
  const paths = {
    root,
    chain: join(dir, DEVELOPMENT_CREDENTIAL_FILES.chain),
    key: join(dir, DEVELOPMENT_CREDENTIAL_FILES.key),
  };
  const [rootCertificatePem, certificateChainPem, privateKeyPem] = await Promise.all(
    [paths.root, paths.chain, paths.key].map((path) => readFile(path, 'utf8')),
  );
  const { fingerprint } = loadSignerCredentials({
    certificateChainPem: certificateChainPem!,
    privateKeyPem: privateKeyPem!,
  });
  return {
    ...paths,
    fingerprint,
    rootCertificatePem: rootCertificatePem!,
    certificateChainPem: certificateChainPem!,
    privateKeyPem: privateKeyPem!,
    created,
  };
}

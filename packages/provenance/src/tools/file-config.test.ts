import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvenanceStamper } from '../stamper.ts';
import { writeDevelopmentCredentials } from './development-credentials-files.ts';
import { loadProvenanceFileConfig } from './file-config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixelgate-provenance-config-'));
  await writeDevelopmentCredentials(join(dir, 'keys'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadProvenanceFileConfig', () => {
  it('reads the PEM files relative to the config folder into a working stamper configuration', async () => {
    const config = await loadProvenanceFileConfig(
      {
        mode: 'c2pa',
        certificateChainFile: 'keys/dev-signer-chain.pem',
        privateKeyFile: 'keys/dev-signer-key.pem',
        trustAnchorsFile: 'keys/dev-root-ca.pem',
        tenants: { a: 'xmp' },
      },
      dir,
    );
    expect(config.signer?.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    const stamper = await createProvenanceStamper(config);
    expect(stamper.modeFor('a')).toBe('xmp');
    expect(stamper.signerFingerprint).toMatch(/^sha256:/);
  });

  it('refuses a key without a chain, and a file that is not there, naming the field', async () => {
    await expect(
      loadProvenanceFileConfig({ privateKeyFile: 'keys/dev-signer-key.pem' }, dir),
    ).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
      param: 'provenance.certificateChainFile',
    });
    const missing = await loadProvenanceFileConfig(
      { certificateChainFile: 'nope.pem', privateKeyFile: 'keys/dev-signer-key.pem' },
      dir,
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'CONFIGURATION_ERROR', param: 'provenance.certificateChainFile' });
    expect((missing as Error).message).toMatch(/nope\.pem \(ENOENT\)/);
  });
});

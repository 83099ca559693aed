// The samples of the "Content provenance" section of docs/compliance.md are pasted here verbatim
// (between the sample markers) and run; the last test fails if the guide and this file drift apart.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeImage } from '../test/images.ts';
import { createDevelopmentCredentials } from './credentials/development-credentials.ts';
import { createProvenanceStamper } from './stamper.ts';
import { verifyProvenance } from './verify.ts';

const dev = await createDevelopmentCredentials();
const chainPem = dev.certificateChainPem;
const keyPem = dev.privateKeyPem;
const rootPem = dev.rootCertificatePem;
const imageBytes = await makeImage('png', 64);

describe('docs/compliance.md provenance samples', () => {
  it('stamps and verifies as the guide says', async () => {
    // sample: stamper
    const stamper = await createProvenanceStamper({
      mode: 'c2pa',
      tenants: { 'internal-tools': 'xmp' },
      onFailure: 'fail',
      signer: { certificateChainPem: chainPem, privateKeyPem: keyPem },
      trustAnchorsPem: rootPem,
    });
    const stamped = await stamper.stamp(imageBytes, {
      requestId: 'req_123',
      tenantId: 'acme',
      provider: 'openai',
      model: 'openai/gpt-image-1',
    });
    // stamped.bytes, stamped.manifestHash, stamped.signerFingerprint, stamped.warnings, stamped.labels
    // end sample
    const bytes = stamped.bytes;
    // sample: verify
    const result = await verifyProvenance(bytes, { trustAnchors: rootPem });
    result.state; // 'Trusted'
    result.manifest?.actions[0]; // { action: 'c2pa.created', digitalSourceType: '...trainedAlgorithmicMedia', ... }
    result.manifest?.generation; // { requestId: 'req_123', model: 'openai/gpt-image-1' }
    // end sample
    expect(result.state).toBe('Trusted');
    expect(result.manifest?.actions[0]?.digitalSourceType).toMatch(/trainedAlgorithmicMedia$/);
    expect(result.manifest?.generation).toEqual({ requestId: 'req_123', model: 'openai/gpt-image-1' });
    expect(stamper.modeFor('internal-tools')).toBe('xmp');
  });

  it('every sample of the provenance section is one of the samples in this file', async () => {
    const guide = await readFile(
      fileURLToPath(new URL('../../../docs/compliance.md', import.meta.url)),
      'utf8',
    );
    const section = guide.slice(guide.indexOf('## Content provenance'));
    const self = await readFile(fileURLToPath(import.meta.url), 'utf8');
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    const samples = [...self.matchAll(/\/\/ sample: [^\n]*\n([\s\S]*?)\/\/ end sample/g)].map((m) =>
      squash(m[1]!),
    );
    const blocks = [...section.matchAll(/```ts no-check\n([\s\S]*?)```/g)].map((m) => squash(m[1]!));
    expect(blocks).toHaveLength(2);
    for (const block of blocks) expect(samples).toContain(block);
  });
});

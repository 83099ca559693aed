import { GatewayError } from '@pixelgate/core/provider-utils';
import { buildManifestDefinition } from './c2pa/manifest-definition.ts';
import { signManifest } from './c2pa/sign-manifest.ts';
import type { C2paModule } from './c2pa/wasm.ts';
import type { ProvenanceConfig } from './config.ts';
import type { SignerCredentials } from './credentials/signer-credentials.ts';
import { verifyProvenance } from './verify.ts';

/** A 1x1 transparent PNG: the smallest image the self-test can sign and read back. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * Signs a tiny image with the configured credentials and reads it back, at startup: whatever the
 * certificate checks missed (the library's own profile rules, a chain that does not reach the
 * configured trust anchors) is found here and refused with the validator's reasons.
 */
export async function selfTest(
  c2pa: C2paModule,
  credentials: SignerCredentials,
  config: ProvenanceConfig,
): Promise<void> {
  const definition = buildManifestDefinition({
    facts: {
      requestId: 'startup-self-test',
      model: 'self-test/none',
      provider: 'self-test',
      created: new Date(),
    },
    mediaType: 'image/png',
    softwareAgent: config.softwareAgent,
  });
  const signed = await signManifest(
    c2pa,
    credentials,
    { bytes: TINY_PNG, mediaType: 'image/png' },
    definition,
  );
  const anchors = config.trustAnchorsPem;
  const result = await verifyProvenance(signed.bytes, anchors === undefined ? {} : { trustAnchors: anchors });
  const wanted = anchors === undefined ? 'Valid' : 'Trusted';
  if (result.state !== wanted) {
    const reasons = result.reasons
      .map((r) => `${r.code}${r.explanation ? ` (${r.explanation})` : ''}`)
      .join('; ');
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Provenance signer refused: a test signature reads ${result.state}, not ${wanted}: ${reasons || 'no reason given'}`,
      { param: 'provenance.signer', details: { reason: reasons } },
    );
  }
}

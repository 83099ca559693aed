import type { ProvenanceVerification } from '../verify.ts';

/**
 * A verification result as a few lines of plain text for a terminal: the state first, then who
 * signed, what the manifest says happened, the pixelgate request it links to, and why it failed.
 */
export function formatVerification(result: ProvenanceVerification, trusted: boolean): string {
  const lines = [`${result.state}: ${describeState(result, trusted)}`];
  const manifest = result.manifest;
  if (manifest) {
    const signer = manifest.signer;
    lines.push(`manifest: ${manifest.label}`);
    lines.push(
      `signed by: ${signer.commonName ?? '?'} (${signer.issuer ?? '?'}), ${signer.algorithm ?? '?'}`,
    );
    for (const action of manifest.actions) {
      const source = action.digitalSourceType ? ` [${action.digitalSourceType.split('/').pop()}]` : '';
      lines.push(`action: ${action.action}${source}${action.when ? ` at ${action.when}` : ''}`);
    }
    if (manifest.generation) lines.push(`pixelgate: ${JSON.stringify(manifest.generation)}`);
    for (const ingredient of manifest.ingredients) {
      lines.push(
        `ingredient: ${ingredient.relationship ?? '?'} ${ingredient.activeManifest ?? ingredient.title ?? ''}`,
      );
    }
  }
  for (const reason of result.reasons) {
    lines.push(`reason: ${reason.code}${reason.explanation ? `: ${reason.explanation}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeState(result: ProvenanceVerification, trusted: boolean): string {
  switch (result.state) {
    case 'Trusted':
      return 'intact, and signed by a certificate that chains to a trust anchor';
    case 'Valid':
      return trusted
        ? 'intact, but the signer does not chain to the given trust anchors'
        : 'intact and correctly signed (pass --trust <root.pem> to check who signed it)';
    case 'Invalid':
      return 'the image or its manifest was changed after signing, or the signature is not acceptable';
    case 'Absent':
      return `no C2PA manifest in this ${result.mediaType} file`;
  }
}

import { type CoseSignerKey, coseSign, unpaddedCoseSize } from './cose-sign.ts';
import { asBlob, type C2paModule } from './wasm.ts';

/**
 * Settings for every builder: no thumbnail (it would add kilobytes and needs image codecs), no
 * read-back inside the library (tests and the startup self-test read back instead; it tripled
 * the signing time), and nothing fetched from the network.
 */
const BUILDER_CONTEXT = JSON.stringify({
  builder: { thumbnail: { enabled: false } },
  verify: { verify_after_sign: false, verify_trust: false, ocsp_fetch: false, remote_manifest_fetch: false },
});

/** Room for the `pad` entry beyond the exact signature size (see coseSign's padding). */
const PAD_ROOM = 16;

/** A parent ingredient: the provider's signed original. */
export interface ParentIngredient {
  bytes: Uint8Array;
  mediaType: string;
  instanceId: string;
}

/** The signed asset and the manifest store written into it. */
export interface SignedAsset {
  bytes: Uint8Array;
  manifestBytes: Uint8Array;
}

/** The exact COSE reserve size for a key: signature sizes are fixed for ES256 and Ed25519. */
export function reserveSizeFor(key: CoseSignerKey): number {
  return unpaddedCoseSize(key) + PAD_ROOM;
}

/**
 * Embeds and signs a manifest. The library computes the claim, calls back for the signature
 * (we return the whole COSE_Sign1, padded to the reserve) and writes the manifest store.
 */
export async function signManifest(
  c2pa: C2paModule,
  key: CoseSignerKey,
  asset: { bytes: Uint8Array; mediaType: string },
  definition: Record<string, unknown>,
  parent?: ParentIngredient,
): Promise<SignedAsset> {
  const reserveSize = reserveSizeFor(key);
  const builder = c2pa.WasmBuilder.fromJson(JSON.stringify(definition), BUILDER_CONTEXT);
  try {
    if (parent) {
      const ingredient = {
        title: 'provider image',
        relationship: 'parentOf',
        instance_id: parent.instanceId,
      };
      await builder.addIngredientFromBlob(JSON.stringify(ingredient), parent.mediaType, asBlob(parent.bytes));
    }
    const signer = {
      alg: key.algorithm === 'es256' ? 'es256' : 'ed25519',
      reserveSize,
      sign: async (claim: Uint8Array) => coseSign(key, claim, reserveSize) as Uint8Array<ArrayBuffer>,
    };
    const result = (await builder.signAndGetManifestBytes(
      signer,
      [],
      asset.mediaType,
      asBlob(asset.bytes),
    )) as {
      manifest: Uint8Array;
      asset: Uint8Array;
    };
    return { bytes: result.asset, manifestBytes: result.manifest };
  } finally {
    builder.free();
  }
}

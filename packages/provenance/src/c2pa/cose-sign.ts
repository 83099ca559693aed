import { type KeyObject, sign } from 'node:crypto';
import { type CborMap, type CborValue, encodeCbor, headLength } from './cbor.ts';

/** The signing algorithms pixelgate signs manifests with. */
export type SigningAlgorithm = 'es256' | 'ed25519';

/** COSE algorithm identifiers (RFC 9053): ES256 = -7, EdDSA = -8. */
const COSE_ALG: Record<SigningAlgorithm, number> = { es256: -7, ed25519: -8 };
/** Both algorithms produce fixed-size signatures, which lets the reserve size be exact. */
const SIGNATURE_BYTES = 64;
const COSE_SIGN1_TAG = 18;
const X5CHAIN_LABEL = 33;

/** What a COSE signer needs: the key, its algorithm and the DER chain (leaf first, no root). */
export interface CoseSignerKey {
  algorithm: SigningAlgorithm;
  privateKey: KeyObject;
  chainDer: readonly Uint8Array[];
}

/** The protected header: algorithm and certificate chain, covered by the signature. */
function protectedHeader(key: CoseSignerKey): Uint8Array {
  const chain = key.chainDer.map((der) => new Uint8Array(der));
  const x5chain: CborValue = chain.length === 1 ? chain[0]! : chain;
  return encodeCbor(
    new Map<number, CborValue>([
      [1, COSE_ALG[key.algorithm]],
      [X5CHAIN_LABEL, x5chain],
    ]),
  );
}

function sign1(protectedBytes: Uint8Array, unprotected: CborMap, signature: Uint8Array): Uint8Array {
  return encodeCbor({
    tag: COSE_SIGN1_TAG,
    value: [protectedBytes, unprotected, null, signature],
  });
}

/** Bytes a `pad` entry of `length` zeros adds to the unprotected map (key + bstr head + data). */
function padCost(label: string, length: number): number {
  return 1 + label.length + headLength(length) + length;
}

/**
 * Finds pad lengths so that the COSE structure is exactly `target` bytes: the library reserves
 * that many bytes in the file before signing and a shorter or longer structure yields a file that
 * reads Invalid (not an error), so this must be exact. One pad fits almost always; at the edges
 * where a length header grows by a byte, a second, short pad absorbs the difference.
 */
function padLengths(missing: number): number[] {
  for (const extra of [[], [0], [1]] as number[][]) {
    const rest = missing - extra.reduce((sum, len) => sum + padCost('pad2', len), 0);
    for (const headBytes of [1, 2, 3, 5]) {
      const length = rest - 1 - 'pad'.length - headBytes;
      if (length >= 0 && headLength(length) === headBytes) return [length, ...extra];
    }
  }
  throw new RangeError(`cannot pad a COSE signature by ${missing} bytes`);
}

/** The COSE_Sign1 size before padding, for a given key: fixed, because signatures are. */
export function unpaddedCoseSize(key: CoseSignerKey): number {
  return sign1(protectedHeader(key), new Map(), new Uint8Array(SIGNATURE_BYTES)).byteLength;
}

/**
 * Signs the claim bytes as a detached-payload COSE_Sign1 (C2PA's claim signature) and pads it to
 * exactly `reserveSize` bytes. ES256 signatures are raw r||s (`ieee-p1363`), as COSE requires.
 */
export function coseSign(key: CoseSignerKey, claim: Uint8Array, reserveSize: number): Uint8Array {
  const protectedBytes = protectedHeader(key);
  const toBeSigned = encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), claim]);
  const signature =
    key.algorithm === 'es256'
      ? sign('sha256', toBeSigned, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, toBeSigned, key.privateKey);
  const bare = sign1(protectedBytes, new Map(), signature);
  // An empty map and a one- or two-entry map have the same one-byte head, so sizes add up.
  const [first, second] = padLengths(reserveSize - bare.byteLength);
  const unprotected: CborMap = new Map([['pad', new Uint8Array(first ?? 0)]]);
  if (second !== undefined) unprotected.set('pad2', new Uint8Array(second));
  const padded = sign1(protectedBytes, unprotected, signature);
  if (padded.byteLength !== reserveSize) {
    throw new Error(`COSE signature is ${padded.byteLength} bytes, expected ${reserveSize}`);
  }
  return padded;
}

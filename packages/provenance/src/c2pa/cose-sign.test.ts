import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { coseSign, unpaddedCoseSize } from './cose-sign.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { algorithm: 'es256' as const, privateKey, chainDer: [new Uint8Array(300).fill(7)] };

describe('coseSign', () => {
  it('pads the structure to exactly the reserved size, across length-header boundaries', () => {
    const base = unpaddedCoseSize(key);
    const claim = new TextEncoder().encode('claim bytes');
    for (let reserve = base + 6; reserve < base + 300; reserve++) {
      expect(coseSign(key, claim, reserve).byteLength).toBe(reserve);
    }
    expect(coseSign(key, claim, base + 70_000).byteLength).toBe(base + 70_000);
  });

  it('refuses a reserve smaller than the signature needs', () => {
    expect(() => coseSign(key, new Uint8Array(1), unpaddedCoseSize(key) - 1)).toThrow(/cannot pad/);
  });

  it('produces an ES256 signature over the COSE Sig_structure that node:crypto verifies', () => {
    const claim = new TextEncoder().encode('the claim');
    const cose = coseSign(key, claim, unpaddedCoseSize(key) + 16);
    // Tagged (18) array of 4; the signature is the last 64 bytes before nothing (it ends the array).
    expect(cose[0]).toBe(0xd2);
    expect(cose[1]).toBe(0x84);
    const signature = cose.subarray(cose.byteLength - 64);
    // A 300-byte certificate makes the protected header a bstr with a two-byte length (0x59).
    expect(cose[2]).toBe(0x59);
    const protectedLength = (cose[3]! << 8) | cose[4]!;
    const protectedStart = 5;
    const protectedBytes = cose.subarray(protectedStart, protectedStart + protectedLength);
    const toBeSigned = Buffer.concat([
      Buffer.from([0x84, 0x6a]),
      Buffer.from('Signature1'),
      Buffer.from([0x59, protectedBytes.byteLength >> 8, protectedBytes.byteLength & 0xff]),
      protectedBytes,
      Buffer.from([0x40, 0x40 + claim.byteLength]),
      claim,
    ]);
    expect(verify('sha256', toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });
});

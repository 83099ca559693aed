import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMediaSigner } from './hmac-media-signer.ts';

const SECRET_A = `${'a'.repeat(32)}-first-secret`;
const SECRET_B = `${'b'.repeat(32)}-second-secret`;

function fixedClock(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const claims = { key: 'images/2026/abc.png', tenantId: 'tenant-1', mediaType: 'image/png' };

describe('createMediaSigner', () => {
  it('issues compact URL-safe tokens that verify to the bound claims, expiring after the default hour', () => {
    const clock = fixedClock(1_700_000_000_000);
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1', clock });
    const { token, expiresAt } = signer.issue(claims);
    expect(token).toMatch(/^k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(token.length).toBeLessThan(200);
    expect(expiresAt).toBe(1_700_000_000_000 + 3_600_000);
    expect(signer.verify(token)).toEqual({ ...claims, expiresAt, keyId: 'k1' });
    clock.advance(3_599_999);
    expect(signer.verify(token)).not.toBeNull();
    clock.advance(1);
    expect(signer.verify(token)).toBeNull();
    expect(signer.verify(token, 1_700_000_000_000)).not.toBeNull();
  });

  it('honours a configured default TTL and a per-token TTL, refusing out-of-range TTLs', () => {
    const clock = fixedClock(0);
    const signer = createMediaSigner({
      keys: [{ id: 'k1', secret: SECRET_A }],
      activeKeyId: 'k1',
      defaultTtlSeconds: 60,
      clock,
    });
    expect(signer.issue(claims).expiresAt).toBe(60_000);
    expect(signer.issue({ ...claims, ttlSeconds: 5 }).expiresAt).toBe(5_000);
    for (const ttlSeconds of [0, -1, 1.5, 8 * 24 * 3600]) {
      expect(() => signer.issue({ ...claims, ttlSeconds })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_ERROR', param: 'ttlSeconds' }),
      );
    }
  });

  it('rejects forged, tampered, truncated and malformed tokens', () => {
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1' });
    const token = signer.issue(claims).token;
    const [keyId, payload, signature] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(
      JSON.stringify({ k: 'images/other.png', t: 'tenant-1', m: 'image/png', e: Date.now() + 3_600_000 }),
    ).toString('base64url');
    const forgedWithOtherSecret = createHmac('sha256', SECRET_B)
      .update(`pixelgate-media-v1.k1.${otherPayload}`)
      .digest('base64url');
    const flip = (value: string, index: number) =>
      value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1);
    const bad = [
      '',
      'garbage',
      `${keyId}.${payload}`,
      `${keyId}.${payload}.${signature}.extra`,
      `${keyId}.${otherPayload}.${signature}`,
      `${keyId}.${otherPayload}.${forgedWithOtherSecret}`,
      `${keyId}.${flip(payload, 5)}.${signature}`,
      `${keyId}.${payload}.${flip(signature, 0)}`,
      `${keyId}.${payload}.${flip(signature, 42)}`,
      `${keyId}.${payload}.${signature.slice(0, -1)}`,
      `${keyId}.${payload}.${signature.slice(0, 20)}`,
      `${keyId}.${payload.slice(0, -2)}.${signature}`,
      token.slice(0, -5),
      `k2.${payload}.${signature}`,
      `${keyId}.${payload}.${signature}=`,
      `${keyId}.${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`,
      `${keyId}.${payload}.${'A'.repeat(5000)}`,
      `../k1.${payload}.${signature}`,
    ];
    for (const candidate of bad) expect(signer.verify(candidate), candidate).toBeNull();
    expect(signer.verify(token)).not.toBeNull();
  });

  it('rejects a correctly signed payload that is not a claims object', () => {
    const sign = (payloadObject: unknown) => {
      const payload = Buffer.from(JSON.stringify(payloadObject)).toString('base64url');
      return `k1.${payload}.${createHmac('sha256', SECRET_A).update(`pixelgate-media-v1.k1.${payload}`).digest('base64url')}`;
    };
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1' });
    expect(
      signer.verify(sign({ k: 'a.png', t: 't', m: 'image/png', e: Date.now() + 10_000 })),
    ).not.toBeNull();
    expect(
      signer.verify(sign({ k: 'a.png', t: 't', m: 'image/png', e: String(Date.now() + 10_000) })),
    ).toBeNull();
    expect(
      signer.verify(sign({ k: 'a.png', t: 't', m: 'image/png', e: Date.now() + 10_000, admin: true })),
    ).toBeNull();
    expect(signer.verify(sign([1, 2, 3]))).toBeNull();
  });

  it('checks the tenant when asked', () => {
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1' });
    const { token } = signer.issue(claims);
    expect(signer.verify(token, { tenantId: 'tenant-1' })).not.toBeNull();
    expect(signer.verify(token, { tenantId: 'tenant-2' })).toBeNull();
  });

  it('rotates: a retired key still verifies, a removed key does not, and new tokens use the active key', () => {
    const clock = fixedClock(1_000_000);
    const before = createMediaSigner({ keys: [{ id: 'old', secret: SECRET_A }], activeKeyId: 'old', clock });
    const oldToken = before.issue(claims).token;
    const during = createMediaSigner({
      keys: [
        { id: 'new', secret: SECRET_B },
        { id: 'old', secret: SECRET_A, retired: true },
      ],
      activeKeyId: 'new',
      clock,
    });
    expect(during.verify(oldToken)?.keyId).toBe('old');
    const newToken = during.issue(claims).token;
    expect(newToken.startsWith('new.')).toBe(true);
    expect(during.verify(newToken)?.keyId).toBe('new');
    const after = createMediaSigner({ keys: [{ id: 'new', secret: SECRET_B }], activeKeyId: 'new', clock });
    expect(after.verify(oldToken)).toBeNull();
    expect(after.verify(newToken)).not.toBeNull();
    // A key id cannot be reused to smuggle a token signed with another secret.
    const impostor = createMediaSigner({
      keys: [{ id: 'old', secret: SECRET_B }],
      activeKeyId: 'old',
      clock,
    });
    expect(impostor.verify(oldToken)).toBeNull();
  });

  it('refuses bad configuration with CONFIGURATION_ERROR', () => {
    const cases: Array<[Parameters<typeof createMediaSigner>[0], string]> = [
      [{ keys: [], activeKeyId: 'k1' }, 'keys'],
      [{ keys: [{ id: 'k1', secret: 'short' }], activeKeyId: 'k1' }, 'keys.0.secret'],
      [{ keys: [{ id: 'has.dot', secret: SECRET_A }], activeKeyId: 'has.dot' }, 'keys.0.id'],
      [{ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k2' }, 'activeKeyId'],
      [{ keys: [{ id: 'k1', secret: SECRET_A, retired: true }], activeKeyId: 'k1' }, 'activeKeyId'],
      [
        {
          keys: [
            { id: 'k1', secret: SECRET_A },
            { id: 'k1', secret: SECRET_B },
          ],
          activeKeyId: 'k1',
        },
        'keys',
      ],
      [
        { keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1', defaultTtlSeconds: 0 },
        'defaultTtlSeconds',
      ],
    ];
    for (const [options, param] of cases) {
      expect(() => createMediaSigner(options)).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR', param }),
      );
    }
  });

  it('never puts a secret in an error message', () => {
    try {
      createMediaSigner({ keys: [{ id: 'k1', secret: 'tooshort-secret' }], activeKeyId: 'k1' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('tooshort-secret');
    }
  });
});

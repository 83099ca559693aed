import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMediaSigner, deriveMediaTokenKey } from './media-token-signer.ts';

const SECRET_A = `${'a'.repeat(32)}-first-secret`;
const SECRET_B = `${'b'.repeat(32)}-second-secret`;

function fixedClock(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const claims = { key: 'images/2026/abc.png', tenantId: 'tenant-1', mediaType: 'image/png' };

/** Seals any header and payload the way the format says (JWE compact, dir + A256GCM, HKDF key). */
function seal(secret: string, header: unknown, payload: unknown): string {
  const protectedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveMediaTokenKey(secret), iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return [protectedHeader, '', iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Every readable form of a token: itself, and each part decoded from base64url. */
function readable(token: string): string {
  return [token, ...token.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1'))].join(
    '\n',
  );
}

describe('createMediaSigner', () => {
  it('issues opaque URL-safe JWE tokens that reveal only their expiry, valid for the default hour', () => {
    const clock = fixedClock(1_700_000_000_000);
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1', clock });
    const { token, expiresAt } = signer.issue(claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(token.length).toBeLessThan(300);
    const text = readable(token);
    for (const secretish of ['images/2026', 'abc.png', 'tenant-1', 'image/png', 'k1'])
      expect(text).not.toContain(secretish);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      exp: 1_700_003_600,
    });
    expect(expiresAt).toBe(1_700_000_000_000 + 3_600_000);
    expect(signer.verify(token)).toEqual({ ...claims, expiresAt, keyId: 'k1' });
    clock.advance(3_599_999);
    expect(signer.verify(token)).not.toBeNull();
    clock.advance(1);
    expect(signer.verify(token)).toBeNull();
    expect(signer.verify(token, 1_700_000_000_000)).not.toBeNull();
  });

  it('gives two tokens for the same claims nothing in common but the header (fresh IVs)', () => {
    const signer = createMediaSigner({
      keys: [{ id: 'k1', secret: SECRET_A }],
      activeKeyId: 'k1',
      clock: fixedClock(5_000),
    });
    const [a, b] = [signer.issue(claims).token, signer.issue(claims).token];
    expect(a.split('.')[0]).toBe(b.split('.')[0]);
    expect(a.split('.').slice(2)).not.toEqual(b.split('.').slice(2));
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('keeps millisecond expiries exact', () => {
    const clock = fixedClock(1_700_000_000_123);
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1', clock });
    const { token, expiresAt } = signer.issue({ ...claims, ttlSeconds: 5 });
    expect(signer.verify(token)?.expiresAt).toBe(expiresAt);
    expect(signer.verify(token, expiresAt - 1)).not.toBeNull();
    expect(signer.verify(token, expiresAt)).toBeNull();
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
    const [header, , iv, ciphertext, tag] = token.split('.') as [string, string, string, string, string];
    const flip = (value: string, index: number) =>
      value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1);
    const longer = Buffer.from(
      JSON.stringify({ alg: 'dir', enc: 'A256GCM', exp: Date.now() / 1000 + 7 * 86_400 }),
    ).toString('base64url');
    const bad = [
      '',
      'garbage',
      `${header}..${iv}.${ciphertext}`,
      `${token}.extra`,
      `${header}.x.${iv}.${ciphertext}.${tag}`,
      `${longer}..${iv}.${ciphertext}.${tag}`, // a later expiry is not accepted: the header is authenticated
      `${flip(header, 3)}..${iv}.${ciphertext}.${tag}`,
      `${header}..${flip(iv, 2)}.${ciphertext}.${tag}`,
      `${header}..${iv}.${flip(ciphertext, 4)}.${tag}`,
      `${header}..${iv}.${ciphertext}.${flip(tag, 0)}`,
      `${header}..${iv}.${ciphertext.slice(0, -2)}.${tag}`,
      `${header}..${iv}.${ciphertext}.${tag.slice(0, -1)}`,
      `${header}..${iv}.${ciphertext}.${tag}=`,
      `${header}..${iv}.${ciphertext}.${Buffer.from(tag, 'base64url').toString('base64')}`,
      `${header}..${iv}.${'A'.repeat(5000)}.${tag}`,
      seal(
        SECRET_B,
        { alg: 'dir', enc: 'A256GCM', exp: Date.now() / 1000 + 60 },
        { k: 'a.png', t: 't', m: 'image/png' },
      ),
      token.slice(0, -5),
      `../${token}`,
    ];
    for (const candidate of bad) expect(signer.verify(candidate), candidate).toBeNull();
    expect(signer.verify(token)).not.toBeNull();
  });

  it('rejects a correctly sealed token whose header or payload is not exactly a claims object', () => {
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1' });
    const exp = Date.now() / 1000 + 60;
    const header = { alg: 'dir', enc: 'A256GCM', exp };
    const payload = { k: 'a.png', t: 't', m: 'image/png' };
    expect(signer.verify(seal(SECRET_A, header, payload))).not.toBeNull();
    expect(signer.verify(seal(SECRET_A, { ...header, exp: String(exp) }, payload))).toBeNull();
    expect(signer.verify(seal(SECRET_A, { ...header, alg: 'A256KW' }, payload))).toBeNull();
    expect(signer.verify(seal(SECRET_A, { ...header, kid: 'k1' }, payload))).toBeNull();
    expect(signer.verify(seal(SECRET_A, header, { ...payload, admin: true }))).toBeNull();
    expect(signer.verify(seal(SECRET_A, header, [1, 2, 3]))).toBeNull();
  });

  it('checks the tenant when asked', () => {
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: SECRET_A }], activeKeyId: 'k1' });
    const { token } = signer.issue(claims);
    expect(signer.verify(token, { tenantId: 'tenant-1' })).not.toBeNull();
    expect(signer.verify(token, { tenantId: 'tenant-2' })).toBeNull();
  });

  it('rotates: a retired key still opens, a removed key does not, and new tokens use the active key', () => {
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
    expect(during.verify(newToken)?.keyId).toBe('new');
    expect(before.verify(newToken)).toBeNull();
    const after = createMediaSigner({ keys: [{ id: 'new', secret: SECRET_B }], activeKeyId: 'new', clock });
    expect(after.verify(oldToken)).toBeNull();
    expect(after.verify(newToken)).not.toBeNull();
    // A key id cannot be reused to open tokens sealed with another secret.
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

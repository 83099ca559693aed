import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { MediaClaims, MediaSigner, MediaVerifyOptions } from './media-signer.ts';

/** One media token key. */
export interface MediaSigningKey {
  /** Name of the key in configuration (1-32 of `A-Z a-z 0-9 _ -`); never put in tokens. */
  id: string;
  /** At least 32 bytes of secret (a string is used as UTF-8); the encryption key is derived from it. */
  secret: string | Uint8Array;
  /**
   * A retired key no longer issues tokens but still opens them, so URLs handed out before a
   * rotation keep working until they expire. Remove it once the longest TTL has passed.
   */
  retired?: boolean;
}

/** Options of {@link createMediaSigner}. */
export interface MediaSignerOptions {
  keys: MediaSigningKey[];
  /** The key new tokens are encrypted with; must be present and not retired. */
  activeKeyId: string;
  /** Lifetime of tokens from {@link MediaTokenSigner.issue} (default 3600 s, the documented URL life). */
  defaultTtlSeconds?: number;
  clock?: Clock;
}

/** What {@link MediaTokenSigner.issue} needs: the claims without expiry and key id. */
export interface MediaTokenRequest {
  key: string;
  tenantId: string;
  mediaType: string;
  /** Lifetime in seconds (default: the signer's `defaultTtlSeconds`). */
  ttlSeconds?: number;
}

/** A freshly issued token and when it stops working. */
export interface IssuedMediaToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** The built-in {@link MediaSigner}, which can also issue tokens from a TTL. */
export interface MediaTokenSigner extends MediaSigner {
  /** The longest TTL accepted (7 days): longer-lived media links defeat the point of expiring ones. */
  readonly maxTtlSeconds: number;
  readonly defaultTtlSeconds: number;
  issue(request: MediaTokenRequest): IssuedMediaToken;
}

/** @deprecated The tokens are encrypted now, not HMAC-signed; use {@link MediaTokenSigner}. */
export type HmacMediaSigner = MediaTokenSigner;

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 4096;
const MAX_TTL_SECONDS = 7 * 24 * 3600;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** HKDF (RFC 5869) salt and info: the derived key serves this one purpose only. */
const HKDF_SALT = 'pixelgate-media-token';
const HKDF_INFO = 'JWE dir A256GCM media token v2';

const keySchema = z.object({
  id: z.string().regex(KEY_ID, 'key ids are 1-32 characters of A-Z a-z 0-9 _ -'),
  secret: z
    .union([z.string(), z.instanceof(Uint8Array)])
    .refine((secret) => (typeof secret === 'string' ? Buffer.byteLength(secret) : secret.byteLength) >= 32, {
      message: 'secrets must be at least 32 bytes',
    }),
  retired: z.boolean().optional(),
});

const optionsSchema = z.object({
  keys: z.array(keySchema).min(1, 'at least one key is needed'),
  activeKeyId: z.string(),
  defaultTtlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
});

/** The encrypted claims: short names keep URLs compact. The expiry travels in the header. */
const payloadSchema = z.strictObject({ k: z.string().min(1), t: z.string().min(1), m: z.string().min(1) });

/** The only header accepted: direct AES-256-GCM and the expiry (NumericDate, seconds, may have a fraction). */
const headerSchema = z.strictObject({
  alg: z.literal('dir'),
  enc: z.literal('A256GCM'),
  exp: z.number().positive(),
});

interface DerivedKey {
  id: string;
  key: Buffer;
  retired: boolean;
}

function configurationError(message: string, param: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `Media signer: ${message}`, { param });
}

/** The AES-256 key of a configured secret: HKDF-SHA256, so the secret itself never keys the cipher. */
export function deriveMediaTokenKey(secret: string | Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret), HKDF_SALT, HKDF_INFO, 32));
}

function decodePart(part: string): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  // Only the canonical encoding is accepted, so one token has exactly one spelling.
  return bytes.toString('base64url') === part ? bytes : undefined;
}

/** Encrypts claims into a JWE compact token under one derived key. */
function seal(key: Buffer, claims: Omit<MediaClaims, 'keyId'>): string {
  const header = Buffer.from(
    JSON.stringify({ alg: 'dir', enc: 'A256GCM', exp: claims.expiresAt / 1000 }),
  ).toString('base64url');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header, 'ascii'));
  const plaintext = JSON.stringify({ k: claims.key, t: claims.tenantId, m: claims.mediaType });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** Opens a token with every key (no early exit), returning the plaintext and the key that opened it. */
function open(
  keys: DerivedKey[],
  token: string,
): { plaintext: Buffer; keyId: string; header: string } | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[1] !== '') return undefined;
  const [header, , ivPart, ciphertextPart, tagPart] = parts as [string, string, string, string, string];
  const iv = decodePart(ivPart);
  const ciphertext = decodePart(ciphertextPart);
  const tag = decodePart(tagPart);
  if (!decodePart(header) || iv?.byteLength !== IV_BYTES || !ciphertext || tag?.byteLength !== TAG_BYTES)
    return undefined;
  let opened: { plaintext: Buffer; keyId: string; header: string } | undefined;
  for (const { id, key } of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(header, 'ascii'));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      opened ??= { plaintext, keyId: id, header };
    } catch {
      // Not this key, or altered: the tag check failed.
    }
  }
  return opened;
}

/** The claims of an opened token, or undefined when its header or payload is not exactly ours. */
function claimsOf(opened: { plaintext: Buffer; keyId: string; header: string }): MediaClaims | undefined {
  try {
    const header = headerSchema.safeParse(
      JSON.parse(Buffer.from(opened.header, 'base64url').toString('utf8')),
    );
    const payload = payloadSchema.safeParse(JSON.parse(opened.plaintext.toString('utf8')));
    if (!header.success || !payload.success) return undefined;
    const { k, t, m } = payload.data;
    return {
      key: k,
      tenantId: t,
      mediaType: m,
      expiresAt: Math.round(header.data.exp * 1000),
      keyId: opened.keyId,
    };
  } catch {
    return undefined;
  }
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `Media URL lifetime must be an integer from 1 to ${MAX_TTL_SECONDS} seconds.`,
      { param: 'ttlSeconds' },
    );
  }
}

/** Validates the options and derives one AES key per configured secret. */
function deriveKeys(options: MediaSignerOptions): {
  keys: DerivedKey[];
  active: DerivedKey;
  defaultTtlSeconds: number;
} {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw configurationError(issue.message, issue.path.join('.') || 'keys');
  }
  const keys: DerivedKey[] = [];
  for (const key of parsed.data.keys) {
    if (keys.some((known) => known.id === key.id))
      throw configurationError(`key id "${key.id}" is listed twice`, 'keys');
    keys.push({ id: key.id, key: deriveMediaTokenKey(key.secret), retired: key.retired ?? false });
  }
  const active = keys.find((key) => key.id === parsed.data.activeKeyId);
  if (!active) throw configurationError('activeKeyId names no listed key', 'activeKeyId');
  if (active.retired)
    throw configurationError('activeKeyId names a retired key; retired keys only verify', 'activeKeyId');
  return { keys, active, defaultTtlSeconds: parsed.data.defaultTtlSeconds ?? 3600 };
}

/**
 * Creates the media token signer behind `GET /v1/media/{token}` links.
 *
 * Tokens are opaque: a JWE compact serialization (RFC 7516) with direct encryption
 * (`"alg":"dir"`) under AES-256-GCM (`"enc":"A256GCM"`), the content key derived from the
 * configured secret with HKDF-SHA256 (RFC 5869). The storage key, tenant and media type are
 * encrypted; the only readable field is the expiry (`exp` in the protected header, which GCM
 * authenticates). Every token has a fresh random 96-bit IV. Anything malformed, altered, forged,
 * expired, for another tenant or sealed with an unknown key opens as null, with no hint which.
 *
 * Rotation: add the new key and make it active while keeping the old one with `retired: true`;
 * old links open until they expire (every configured key is tried, so tokens carry no key id).
 * After the longest TTL in use (1 hour by default) has passed, remove the retired key.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function createMediaSigner(options: MediaSignerOptions): MediaTokenSigner {
  const { keys, active, defaultTtlSeconds } = deriveKeys(options);
  const clock = options.clock ?? systemClock;
  const sign = (claims: Omit<MediaClaims, 'keyId'>): string => {
    const valid =
      payloadSchema.safeParse({ k: claims.key, t: claims.tenantId, m: claims.mediaType }).success &&
      Number.isSafeInteger(claims.expiresAt) &&
      claims.expiresAt > 0;
    if (!valid) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        'Media token claims need a key, tenant, media type and an integer expiry (epoch ms).',
        { param: 'claims' },
      );
    }
    return seal(active.key, claims);
  };
  return {
    maxTtlSeconds: MAX_TTL_SECONDS,
    defaultTtlSeconds,
    sign,
    issue(request: MediaTokenRequest): IssuedMediaToken {
      const ttlSeconds = request.ttlSeconds ?? defaultTtlSeconds;
      checkTtl(ttlSeconds);
      const expiresAt = clock.now() + ttlSeconds * 1000;
      const token = sign({
        key: request.key,
        tenantId: request.tenantId,
        mediaType: request.mediaType,
        expiresAt,
      });
      return { token, expiresAt };
    },
    verify(token: string, verifyOptions?: number | MediaVerifyOptions): MediaClaims | null {
      const { now = clock.now(), tenantId } =
        typeof verifyOptions === 'number' ? { now: verifyOptions } : (verifyOptions ?? {});
      const opened = open(keys, token);
      const claims = opened ? claimsOf(opened) : undefined;
      if (!claims || claims.expiresAt <= now) return null;
      if (tenantId !== undefined && claims.tenantId !== tenantId) return null;
      return claims;
    },
  };
}

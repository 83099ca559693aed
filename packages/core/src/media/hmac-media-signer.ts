import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { MediaClaims, MediaSigner, MediaVerifyOptions } from './media-signer.ts';

/** One signing key. */
export interface MediaSigningKey {
  /** Short id carried in every token (1-32 of `A-Z a-z 0-9 _ -`), so verification finds the key. */
  id: string;
  /** At least 32 bytes of secret (a string is used as UTF-8). */
  secret: string | Uint8Array;
  /**
   * A retired key no longer signs but still verifies, so URLs handed out before a rotation keep
   * working until they expire. Remove the key once the longest TTL has passed since retiring it.
   */
  retired?: boolean;
}

/** Options of {@link createMediaSigner}. */
export interface MediaSignerOptions {
  keys: MediaSigningKey[];
  /** The key new tokens are signed with; must be present and not retired. */
  activeKeyId: string;
  /** Lifetime of tokens from {@link HmacMediaSigner.issue} (default 3600 s, the documented URL life). */
  defaultTtlSeconds?: number;
  clock?: Clock;
}

/** What {@link HmacMediaSigner.issue} needs: the claims without expiry and key id. */
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

/** The HMAC signer: a {@link MediaSigner} that can also issue tokens from a TTL. */
export interface HmacMediaSigner extends MediaSigner {
  /** The longest TTL accepted (7 days): longer-lived media links defeat the point of expiring ones. */
  readonly maxTtlSeconds: number;
  readonly defaultTtlSeconds: number;
  issue(request: MediaTokenRequest): IssuedMediaToken;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 4096;
const SIGNATURE_BYTES = 32;
const MAX_TTL_SECONDS = 7 * 24 * 3600;
const DOMAIN = 'pixelgate-media-v1';

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

/** The signed payload: short names keep URLs compact. */
const payloadSchema = z.strictObject({
  k: z.string().min(1),
  t: z.string().min(1),
  m: z.string().min(1),
  e: z.number().int().positive(),
});

function encode(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function configurationError(message: string, param: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `Media signer: ${message}`, { param });
}

/**
 * Creates the HMAC-SHA256 media signer behind `GET /v1/media/{token}` links.
 *
 * Token format: `<keyId>.<payload>.<signature>`, all URL-safe. The payload is base64url JSON of
 * the storage key, tenant, media type and expiry (epoch ms); the signature is HMAC-SHA256 over
 * a domain tag, the key id and the payload, so no part can be changed or swapped between tokens.
 * Verification recomputes the MAC and compares with `crypto.timingSafeEqual` before looking at the
 * payload; anything malformed, forged, altered, expired, truncated, for another tenant or signed
 * with an unknown key gives null, with no hint which.
 *
 * Rotation: add the new key and make it active while keeping the old one with `retired: true`;
 * old links verify until they expire. After the longest TTL in use (1 hour by default) has passed,
 * remove the retired key: its tokens then stop verifying.
 *
 * The payload is signed, not encrypted: the storage key and tenant id are readable by whoever
 * holds the URL. Keys are random or content hashes, never user input, so nothing private leaks.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function createMediaSigner(options: MediaSignerOptions): HmacMediaSigner {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw configurationError(issue.message, issue.path.join('.') || 'keys');
  }
  const secrets = new Map<string, { secret: Buffer; retired: boolean }>();
  for (const key of parsed.data.keys) {
    if (secrets.has(key.id)) throw configurationError(`key id "${key.id}" is listed twice`, 'keys');
    secrets.set(key.id, { secret: Buffer.from(key.secret), retired: key.retired ?? false });
  }
  const active = secrets.get(parsed.data.activeKeyId);
  if (!active) throw configurationError('activeKeyId names no listed key', 'activeKeyId');
  if (active.retired)
    throw configurationError('activeKeyId names a retired key; retired keys only verify', 'activeKeyId');
  const activeKeyId = parsed.data.activeKeyId;
  const defaultTtlSeconds = parsed.data.defaultTtlSeconds ?? 3600;
  const clock = options.clock ?? systemClock;

  const mac = (secret: Buffer, keyId: string, payload: string) =>
    createHmac('sha256', secret).update(`${DOMAIN}.${keyId}.${payload}`).digest();

  const sign = (claims: Omit<MediaClaims, 'keyId'>): string => {
    const valid = payloadSchema.safeParse({
      k: claims.key,
      t: claims.tenantId,
      m: claims.mediaType,
      e: claims.expiresAt,
    });
    if (!valid.success) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        'Media token claims need a key, tenant, media type and an integer expiry (epoch ms).',
        {
          param: 'claims',
        },
      );
    }
    const payload = encode(JSON.stringify(valid.data));
    return `${activeKeyId}.${payload}.${encode(mac(active.secret, activeKeyId, payload))}`;
  };

  return {
    maxTtlSeconds: MAX_TTL_SECONDS,
    defaultTtlSeconds,
    sign,
    issue(request: MediaTokenRequest): IssuedMediaToken {
      const ttlSeconds = request.ttlSeconds ?? defaultTtlSeconds;
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `Media URL lifetime must be an integer from 1 to ${MAX_TTL_SECONDS} seconds.`,
          {
            param: 'ttlSeconds',
          },
        );
      }
      const expiresAt = clock.now() + ttlSeconds * 1000;
      return {
        token: sign({
          key: request.key,
          tenantId: request.tenantId,
          mediaType: request.mediaType,
          expiresAt,
        }),
        expiresAt,
      };
    },
    verify(token: string, verifyOptions?: number | MediaVerifyOptions): MediaClaims | null {
      const { now = clock.now(), tenantId } =
        typeof verifyOptions === 'number' ? { now: verifyOptions } : (verifyOptions ?? {});
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const [keyId, payload, signature] = parts as [string, string, string];
      if (!KEY_ID.test(keyId) || !BASE64URL.test(payload) || !BASE64URL.test(signature)) return null;
      const entry = secrets.get(keyId);
      if (!entry) return null;
      const given = Buffer.from(signature, 'base64url');
      if (given.byteLength !== SIGNATURE_BYTES || encode(given) !== signature) return null;
      if (!timingSafeEqual(given, mac(entry.secret, keyId, payload))) return null;
      let claims: z.infer<typeof payloadSchema>;
      try {
        const decoded = payloadSchema.safeParse(
          JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
        );
        if (!decoded.success) return null;
        claims = decoded.data;
      } catch {
        return null;
      }
      if (claims.e <= now) return null;
      if (tenantId !== undefined && claims.t !== tenantId) return null;
      return { key: claims.k, tenantId: claims.t, mediaType: claims.m, expiresAt: claims.e, keyId };
    },
  };
}

/** What a media token binds. */
export interface MediaClaims {
  /** Storage key of the object. */
  key: string;
  /** Tenant allowed to fetch it. */
  tenantId: string;
  mediaType: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
  /** Id of the key that signed the token. */
  keyId: string;
}

/** Options of {@link MediaSigner.verify}. */
export interface MediaVerifyOptions {
  /** The time to check expiry against (epoch ms); the signer's clock by default. */
  now?: number;
  /** When given, a token issued for any other tenant is treated as invalid (null). */
  tenantId?: string;
}

/**
 * Signs and verifies media tokens for `GET /v1/media/{token}`. Implementations must compare in
 * constant time and treat every malformed, forged, expired or retired-key token alike (null).
 */
export interface MediaSigner {
  sign(claims: Omit<MediaClaims, 'keyId'>): string;
  /** The claims of a valid token, or null for any token that is not (never a reason why). */
  verify(token: string, options?: number | MediaVerifyOptions): MediaClaims | null;
}

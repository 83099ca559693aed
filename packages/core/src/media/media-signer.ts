/** What a media token binds. */
export interface MediaClaims {
  /** Storage key of the object. */
  key: string;
  /** Tenant allowed to fetch it. */
  tenantId: string;
  mediaType: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
  /** Id (in configuration) of the key that sealed the token. */
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
 * Issues and verifies media tokens for `GET /v1/media/{token}`. Tokens must be opaque (a URL
 * reveals at most its expiry) and authenticated; implementations must treat every malformed,
 * forged, altered, expired or unknown-key token alike (null), without a timing hint which.
 */
export interface MediaSigner {
  sign(claims: Omit<MediaClaims, 'keyId'>): string;
  /** The claims of a valid token, or null for any token that is not (never a reason why). */
  verify(token: string, options?: number | MediaVerifyOptions): MediaClaims | null;
}

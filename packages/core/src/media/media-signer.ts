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

/**
 * Signs and verifies media tokens for `GET /v1/media/{token}`. Implementations must compare in
 * constant time and treat every malformed, forged, expired or retired-key token alike (null).
 */
export interface MediaSigner {
  sign(claims: Omit<MediaClaims, 'keyId'>): string;
  verify(token: string, now?: number): MediaClaims | null;
}

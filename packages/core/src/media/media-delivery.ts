import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { StorageAdapter, StoredObjectInfo } from '../storage/storage-adapter.ts';
import type { HmacMediaSigner } from './hmac-media-signer.ts';

/** How `url` responses point at images. */
export type MediaDeliveryMode = 'proxy' | 'presigned';

/** Options of {@link createMediaDelivery}. */
export interface MediaDeliveryOptions {
  /**
   * `proxy` (default): a URL on this server, `${publicBaseUrl}/v1/media/{token}`, served by the media
   * handler, so access stays under the gateway's control and works with any storage. `presigned`:
   * the store's own presigned URL (S3), which offloads the bytes but needs `storage.presign`.
   */
  mode?: MediaDeliveryMode;
  /** Where clients reach this server (e.g. `https://api.example.com`); required for `proxy`. */
  publicBaseUrl?: string;
  /** Path of the media route under the base URL (default `/v1/media/`). */
  pathPrefix?: string;
  signer: HmacMediaSigner;
  storage: StorageAdapter;
  clock?: Clock;
}

/** What the pipeline asks for: which object, for whom, for how long. */
export interface MediaDeliveryRequest {
  info: StoredObjectInfo;
  tenantId: string;
  /** Lifetime in seconds (default: the signer's default, 1 hour); capped at the object's own expiry. */
  ttlSeconds?: number;
}

/** A URL to hand to the client and when it stops working. */
export interface DeliveredMedia {
  url: string;
  expiresAt: Date;
  mode: MediaDeliveryMode;
}

/** Turns stored objects into short-lived URLs. */
export interface MediaDelivery {
  readonly mode: MediaDeliveryMode;
  deliver(request: MediaDeliveryRequest): Promise<DeliveredMedia>;
}

/**
 * Creates the delivery helper the pipeline calls after storing an image for `response_format:
 * "url"`. Configuration is checked here, at startup, so a gateway never discovers on its first
 * request that its store cannot presign or that it has no public base URL.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function createMediaDelivery(options: MediaDeliveryOptions): MediaDelivery {
  const mode = options.mode ?? 'proxy';
  const clock = options.clock ?? systemClock;
  const { signer, storage } = options;
  if (mode !== 'proxy' && mode !== 'presigned') {
    throw new GatewayError('CONFIGURATION_ERROR', 'Media delivery mode must be "proxy" or "presigned".', {
      param: 'mode',
    });
  }
  let base = '';
  if (mode === 'proxy') {
    let parsed: URL;
    try {
      parsed = new URL(options.publicBaseUrl ?? '');
    } catch {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        'Media delivery in "proxy" mode needs publicBaseUrl, an absolute http(s) URL.',
        {
          param: 'publicBaseUrl',
        },
      );
    }
    if (
      (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
      parsed.search ||
      parsed.hash ||
      parsed.username ||
      parsed.password
    ) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        'publicBaseUrl must be an http(s) URL without query, fragment or credentials.',
        {
          param: 'publicBaseUrl',
        },
      );
    }
    const prefix = options.pathPrefix ?? '/v1/media/';
    base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/${prefix.replace(/^\/+/, '').replace(/\/*$/, '/')}`;
  } else if (typeof storage.presign !== 'function') {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Media delivery mode "presigned" needs a store that presigns URLs; "${storage.id}" does not.`,
      {
        param: 'mode',
      },
    );
  }

  return {
    mode,
    async deliver(request: MediaDeliveryRequest): Promise<DeliveredMedia> {
      let ttlSeconds = request.ttlSeconds ?? signer.defaultTtlSeconds;
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > signer.maxTtlSeconds) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `Media URL lifetime must be an integer from 1 to ${signer.maxTtlSeconds} seconds.`,
          {
            param: 'ttlSeconds',
          },
        );
      }
      // A link must not outlive the object it points at: cap the lifetime at the object's expiry.
      if (request.info.expiresAt) {
        const remainingSeconds = Math.floor((request.info.expiresAt.getTime() - clock.now()) / 1000);
        if (remainingSeconds < 1) {
          throw new GatewayError(
            'STORAGE_ERROR',
            'The stored object has already expired; it cannot be delivered as a URL.',
            {
              retryable: false,
              details: { reason: 'object_expired' },
            },
          );
        }
        ttlSeconds = Math.min(ttlSeconds, remainingSeconds);
      }
      if (mode === 'presigned') {
        const expiresAt = new Date(clock.now() + ttlSeconds * 1000);
        const url = await storage.presign!(request.info.key, {
          expiresInSeconds: ttlSeconds,
          mediaType: request.info.mediaType,
        });
        return { url, expiresAt, mode };
      }
      const { token, expiresAt } = signer.issue({
        key: request.info.key,
        tenantId: request.tenantId,
        mediaType: request.info.mediaType,
        ttlSeconds,
      });
      return { url: `${base}${token}`, expiresAt: new Date(expiresAt), mode };
    },
  };
}

import { type Clock, systemClock } from '../container/tokens.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { StorageAdapter, StoredObjectInfo } from '../storage/storage-adapter.ts';
import type { MediaSigner } from './media-signer.ts';

/** The longest link lifetime accepted (7 days): longer-lived links defeat the point of expiring ones. */
export const MAX_MEDIA_TTL_SECONDS = 7 * 24 * 3600;

/** How `url` responses point at images. */
export type MediaDeliveryMode = 'proxy' | 'presigned';

/** Options of {@link createMediaDelivery}. */
export interface MediaDeliveryOptions {
  /**
   * `proxy` (default): a URL on this server, `${base}${pathPrefix}{token}`, served by the media
   * handler, so access stays under the gateway's control and works with any storage. `presigned`:
   * the store's own presigned URL (S3), which offloads the bytes but needs `storage.presign`.
   */
  mode?: MediaDeliveryMode;
  /**
   * Where clients reach this server (e.g. `https://api.example.com`). When absent, each delivery
   * uses the base URL it is given (an HTTP layer passes the origin the client used), or a
   * root-relative link.
   */
  publicBaseUrl?: string;
  /** Path of the media route under the base URL (default `/v1/media/`). */
  pathPrefix?: string;
  signer: MediaSigner;
  storage: StorageAdapter;
  /** Link lifetime when a delivery names none (default 3600 s). */
  defaultTtlSeconds?: number;
  clock?: Clock;
}

/** What the pipeline asks for: which object, for whom, for how long. */
export interface MediaDeliveryRequest {
  info: StoredObjectInfo;
  tenantId: string;
  /** Lifetime in seconds (default: `defaultTtlSeconds`, 1 hour). */
  ttlSeconds?: number;
  /** Base URL for this delivery when `publicBaseUrl` is not configured (an absolute http(s) origin). */
  baseUrl?: string;
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

/** The origin-and-path part of a base URL, or a CONFIGURATION_ERROR naming `param`. */
function normalizeBase(value: string, param: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new GatewayError('CONFIGURATION_ERROR', `${param} must be an absolute http(s) URL.`, { param });
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
      `${param} must be an http(s) URL without query, fragment or credentials.`,
      { param },
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * Creates the delivery helper the pipeline calls after storing an image for `response_format:
 * "url"`. Configuration is checked here, at startup, so a gateway never discovers on its first
 * request that its store cannot presign or that its public base URL is malformed.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function createMediaDelivery(options: MediaDeliveryOptions): MediaDelivery {
  const mode = options.mode ?? 'proxy';
  const clock = options.clock ?? systemClock;
  const { signer, storage } = options;
  const defaultTtlSeconds = options.defaultTtlSeconds ?? 3600;
  if (mode !== 'proxy' && mode !== 'presigned') {
    throw new GatewayError('CONFIGURATION_ERROR', 'Media delivery mode must be "proxy" or "presigned".', {
      param: 'mode',
    });
  }
  if (mode === 'presigned' && typeof storage.presign !== 'function') {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Media delivery mode "presigned" needs a store that presigns URLs; "${storage.id}" does not.`,
      {
        param: 'mode',
      },
    );
  }
  const configuredBase =
    options.publicBaseUrl === undefined ? undefined : normalizeBase(options.publicBaseUrl, 'publicBaseUrl');
  const prefix = `/${(options.pathPrefix ?? '/v1/media/').replace(/^\/+/, '').replace(/\/*$/, '/')}`;

  return {
    mode,
    async deliver(request: MediaDeliveryRequest): Promise<DeliveredMedia> {
      let ttlSeconds = request.ttlSeconds ?? defaultTtlSeconds;
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_MEDIA_TTL_SECONDS) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `Media URL lifetime must be an integer from 1 to ${MAX_MEDIA_TTL_SECONDS} seconds.`,
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
      const expiresAt = clock.now() + ttlSeconds * 1000;
      if (mode === 'presigned') {
        const url = await storage.presign!(request.info.key, {
          expiresInSeconds: ttlSeconds,
          mediaType: request.info.mediaType,
        });
        return { url, expiresAt: new Date(expiresAt), mode };
      }
      const token = signer.sign({
        key: request.info.key,
        tenantId: request.tenantId,
        mediaType: request.info.mediaType,
        expiresAt,
      });
      const base = configuredBase ?? (request.baseUrl ? normalizeBase(request.baseUrl, 'baseUrl') : '');
      return { url: `${base}${prefix}${token}`, expiresAt: new Date(expiresAt), mode };
    },
  };
}

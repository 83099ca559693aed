import type { TenantContext } from '../access/tenant.ts';
import { validateTenantOnce } from '../access/validated-tenant.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { RouteDoc } from '../openapi/openapi-routes.ts';
import type { Logger } from '../provider/logger.ts';
import type { Authenticate } from './api-key-authenticator.ts';
import { type CorsOptions, type CorsPolicy, createCorsPolicy } from './cors.ts';
import { DEFAULT_MAX_BODY_BYTES } from './request-body.ts';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /**
   * Who is calling: return the tenant, or null when the request proves no identity (401).
   * Use {@link createApiKeyAuthenticator} for static keys. Required unless `anonymous` is set.
   */
  authenticate?: Authenticate;
  /**
   * The tenant used for requests that carry no credentials at all (or for every request when no
   * `authenticate` is given). Off by default: set it only for deliberately public deployments
   * (demos, internal tools behind another auth layer). With `authenticate` as well, a request that
   * does present a key still has to pass it.
   */
  anonymous?: TenantContext;
  /**
   * Path prefix the routes live under (`/oai` serves `/oai/v1/images/generations`). Defaults to
   * the gateway's `media.pathPrefix`, and must equal it: media URLs are built from that setting.
   */
  pathPrefix?: string;
  /** Largest accepted request body in bytes (default 1 MiB). Larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Limits of image uploads (edits and variations, multipart or JSON with data URLs), enforced
   * while the body streams in: the largest file (default 50 MiB, OpenAI's own limit for GPT image
   * inputs) and the largest whole body (default 100 MiB). Over either is a 413 naming the limit.
   * Each model's own input limits are checked afterwards.
   */
  uploads?: { maxFileBytes?: number; maxTotalBytes?: number };
  /** Cross-origin access for browsers; off by default. */
  cors?: CorsOptions;
  /**
   * Reuse a caller's `x-request-id` (1-128 of `A-Z a-z 0-9 . _ : -`) instead of issuing one
   * (default true), so a request can be followed from the client through proxies to the audit log.
   */
  acceptRequestId?: boolean;
  /** Where handler-level failures (a throwing authenticator, a bug) are logged; default: the gateway's logger. */
  logger?: Logger;
  /** Routes served next to this handler (a console's, the job routes), listed in `GET {prefix}/openapi.json` too. */
  extraRouteDocs?: RouteDoc[];
}

/** The options once checked: what the router needs, with defaults applied. */
export interface CheckedHandlerOptions {
  prefix: string;
  anonymous: TenantContext | undefined;
  maxBodyBytes: number;
  uploads: UploadLimits;
  cors: CorsPolicy | undefined;
  acceptRequestId: boolean;
}

/** The checked upload limits of the edits and variations routes. */
export interface UploadLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxFileBytes: 50 * 1024 * 1024,
  maxTotalBytes: 100 * 1024 * 1024,
};

function checkUploadLimits(uploads: HttpHandlerOptions['uploads']): UploadLimits {
  const limits = { ...DEFAULT_UPLOAD_LIMITS, ...uploads };
  for (const name of ['maxFileBytes', 'maxTotalBytes'] as const) {
    if (!Number.isSafeInteger(limits[name]) || limits[name] < 1) {
      throw configurationError(`uploads.${name} must be a positive integer.`, `uploads.${name}`);
    }
  }
  if (limits.maxFileBytes > limits.maxTotalBytes) {
    throw configurationError(
      'uploads.maxFileBytes cannot exceed uploads.maxTotalBytes.',
      'uploads.maxFileBytes',
    );
  }
  return limits;
}

const PREFIX = /^(\/[A-Za-z0-9._~-]+)*$/;

function configurationError(message: string, param: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', message, { param });
}

/**
 * Checks the handler options once, at creation, against the gateway's media path prefix.
 * @throws GatewayError CONFIGURATION_ERROR naming the offending option.
 */
export function checkHandlerOptions(options: HttpHandlerOptions, mediaPrefix: string): CheckedHandlerOptions {
  const prefix = options.pathPrefix ?? mediaPrefix;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw configurationError(
      "pathPrefix must be empty or like '/oai' (segments of A-Z a-z 0-9 . _ ~ -, no trailing slash).",
      'pathPrefix',
    );
  }
  if (prefix !== mediaPrefix) {
    throw configurationError(
      `pathPrefix '${prefix}' differs from the gateway's media.pathPrefix '${mediaPrefix}'; set media.pathPrefix in createGateway so media URLs point at this handler.`,
      'pathPrefix',
    );
  }
  if (!options.authenticate && !options.anonymous) {
    throw configurationError(
      'createHttpHandler needs `authenticate` (for example createApiKeyAuthenticator({ keys })) or, for a deliberately open server, `anonymous`.',
      'authenticate',
    );
  }
  const anonymous = options.anonymous === undefined ? undefined : validateTenantOnce(options.anonymous);
  if (options.anonymous !== undefined && !anonymous) {
    throw configurationError(
      'anonymous must be a tenant context such as { tenantId: "public" }.',
      'anonymous',
    );
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw configurationError('maxBodyBytes must be a positive integer.', 'maxBodyBytes');
  }
  return {
    prefix,
    anonymous,
    maxBodyBytes,
    uploads: checkUploadLimits(options.uploads),
    cors: options.cors ? createCorsPolicy(options.cors) : undefined,
    acceptRequestId: options.acceptRequestId ?? true,
  };
}

import { toGatewayError, toNativeErrorEnvelope } from '@pixelgate/core';
import { readRequestBody } from '@pixelgate/core/adapter-utils';
import { GatewayError, validationError } from '@pixelgate/core/provider-utils';
import { verifyProvenance } from '../verify.ts';

/** The path of the verification route. */
export const PROVENANCE_VERIFY_PATH = '/v1/provenance/verify';
/** Default upload limit: a large 4K PNG fits; anything bigger is refused before it is read. */
const DEFAULT_MAX_IMAGE_BYTES = 32 * 1024 * 1024;
const IMAGE_TYPES = /^image\/(png|jpeg|webp)$/;

/** Options of {@link createProvenanceVerifyRoute}. */
export interface ProvenanceVerifyRouteOptions {
  /** PEM roots the server trusts; a request cannot add its own (it could then "trust" anything). */
  trustAnchors?: string;
  maxImageBytes?: number;
  /**
   * Runs before the body is read; throw a GatewayError (AUTHENTICATION_ERROR, RATE_LIMITED) to
   * refuse. Mount the route behind the same authentication as the rest of the API.
   */
  authorize?: (request: Request) => Promise<void>;
}

function json(status: number, body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  });
}

function checkContentType(request: Request): void {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!IMAGE_TYPES.test(type) && type !== 'application/octet-stream') {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `Send the image itself as the body with Content-Type image/png, image/jpeg or image/webp (got ${type || 'none'}).`,
      { param: 'content-type', status: 415 },
    );
  }
}

/**
 * `POST /v1/provenance/verify`: the body is the image (Content-Type image/png, image/jpeg,
 * image/webp); the answer is the validation state (Trusted / Valid / Invalid / Absent), the
 * active manifest's summary and the failure reasons, as JSON. Errors use the native envelope.
 * Returns a fetch-style handler; {@link withProvenanceVerifyRoute} mounts it before another one.
 */
export function createProvenanceVerifyRoute(
  options: ProvenanceVerifyRouteOptions = {},
): (request: Request) => Promise<Response> {
  const limit = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  return async (request) => {
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    try {
      if (request.method !== 'POST') {
        throw new GatewayError('VALIDATION_ERROR', `Use POST on ${PROVENANCE_VERIFY_PATH}.`, { status: 405 });
      }
      await options.authorize?.(request);
      checkContentType(request);
      const bytes = await readRequestBody(request, limit);
      if (bytes.byteLength === 0)
        throw validationError('body', 'The request body is empty; send the image bytes.');
      const result = await verifyProvenance(
        bytes,
        options.trustAnchors ? { trustAnchors: options.trustAnchors } : {},
      );
      return json(
        200,
        { ...result, trusted_anchors_configured: options.trustAnchors !== undefined },
        requestId,
      );
    } catch (error) {
      const failure = toGatewayError(error);
      return json(failure.status, toNativeErrorEnvelope(failure, requestId), requestId);
    }
  };
}

/**
 * Puts the verification route in front of another fetch-style handler (the gateway's HTTP
 * handler): requests to {@link PROVENANCE_VERIFY_PATH} are answered here, all others pass on.
 */
export function withProvenanceVerifyRoute(
  next: (request: Request) => Promise<Response>,
  options: ProvenanceVerifyRouteOptions = {},
): (request: Request) => Promise<Response> {
  const route = createProvenanceVerifyRoute(options);
  return (request) =>
    new URL(request.url).pathname === PROVENANCE_VERIFY_PATH ? route(request) : next(request);
}

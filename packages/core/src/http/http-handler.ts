import type { Gateway } from '../gateway/create-gateway.ts';
import { createMediaHandler } from '../media/media-handler.ts';
import { fromFetchRequest, toFetchResponse } from './fetch-exchange.ts';
import { checkHandlerOptions, type HttpHandlerOptions } from './handler-options.ts';
import { type ExchangeHandler, HTTP_EXCHANGE_HANDLER } from './http-exchange.ts';
import { createExchangeAuthenticator } from './middleware/authenticate.ts';
import type { HttpParts } from './route.ts';
import { createRouter } from './router.ts';
import { defaultRoutes } from './routes/index.ts';

export type { HttpHandlerOptions } from './handler-options.ts';

/** A fetch-style handler: what every modern server, edge runtime and test can call. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * The handler `createHttpHandler` returns: a {@link FetchHandler} that also carries its router
 * under {@link HTTP_EXCHANGE_HANDLER}, which `@pixelgate/node` uses to serve Node requests
 * without building web `Request`/`Response` objects.
 */
export type HttpHandler = FetchHandler & { readonly [HTTP_EXCHANGE_HANDLER]: ExchangeHandler };

/**
 * The parts the routes use, taken explicitly from the gateway and the options: the gateway, how
 * callers are authenticated, the media handler (with the gateway's signer, store and clock), ids
 * and logger.
 */
export function httpPartsOf(gateway: Gateway, options: HttpHandlerOptions = {}): HttpParts {
  const checked = checkHandlerOptions(options, gateway.config.media.pathPrefix);
  return {
    gateway,
    authenticate: createExchangeAuthenticator(options.authenticate, checked.anonymous),
    checksPresentedKeys: options.authenticate !== undefined,
    media: createMediaHandler({
      storage: gateway.storage,
      signer: gateway.mediaSigner,
      clock: gateway.clock,
      pathPrefix: `${checked.prefix}/v1/media/`,
    }),
    ids: gateway.ids,
    logger: options.logger ?? gateway.logger,
    cors: checked.cors,
    prefix: checked.prefix,
    maxBodyBytes: checked.maxBodyBytes,
    uploads: checked.uploads,
    acceptRequestId: checked.acceptRequestId,
    extraRouteDocs: options.extraRouteDocs ?? [],
  };
}

/**
 * Creates the HTTP surface of a gateway as one fetch-style function:
 *
 * - `POST {prefix}/v1/images/generations`: OpenAI-compatible; request, response and error shapes
 *   are OpenAI's, so OpenAI SDKs work unchanged (point their `baseURL` at `{origin}{prefix}/v1`).
 * - `POST {prefix}/v1/images/edits` and `/v1/images/variations`: OpenAI's images.edit and
 *   images.createVariation, multipart as the SDKs send it (streamed, with `uploads` limits) or JSON.
 * - `POST {prefix}/v1/inference/images/generate`, `/edit`, `/variation`: native; provider-qualified
 *   model ids, metadata echoed back, warnings, labels, cost and request id in the body.
 * - `stream: true` on generations and edits answers `text/event-stream` with OpenAI's events.
 * - `GET {prefix}/v1/models` and `GET {prefix}/v1/models/{id}`: the models this caller may use,
 *   with capabilities under `pixelgate`.
 * - `GET|HEAD {prefix}/v1/media/{token}`: stored images; the opaque token is the credential.
 *
 * Every response carries `x-request-id`; generation responses carry `x-ratelimit-*` when limits
 * apply (errors too) and `Retry-After` on 429. Every request for images leaves exactly one audit
 * record, including those refused before the pipeline (authentication, method, body). The
 * handler never throws and never renders a stack trace or internal message: anything unexpected
 * is a 500 INTERNAL_ERROR with a generic message. Routes live one per file in `http/routes/`.
 * @throws GatewayError CONFIGURATION_ERROR at creation for invalid options.
 */
export function createHttpHandler(gateway: Gateway, options: HttpHandlerOptions = {}): HttpHandler {
  const parts = httpPartsOf(gateway, options);
  const router = createRouter(parts, defaultRoutes(parts));
  const handler = async (request: Request) => toFetchResponse(await router(fromFetchRequest(request)));
  return Object.assign(handler, { [HTTP_EXCHANGE_HANDLER]: router });
}

import type { TenantContext } from '../access/tenant.ts';
import type { IdGenerator } from '../container/tokens.ts';
import type { Gateway } from '../gateway/create-gateway.ts';
import type { MediaHandler } from '../media/media-handler.ts';
import type { RouteDoc } from '../openapi/openapi-routes.ts';
import type { Operation } from '../pipeline/request-context.ts';
import type { Logger } from '../provider/logger.ts';
import type { CorsPolicy } from './cors.ts';
import type { UploadLimits } from './handler-options.ts';
import type { HttpExchange, HttpReply } from './http-exchange.ts';
import type { ExchangeAuthenticator } from './middleware/authenticate.ts';
import type { EnvelopeStyle, ReplyContext } from './replies.ts';

/**
 * Everything the routes use, passed in explicitly (nothing is resolved from a container): the
 * gateway, how callers are authenticated, the media handler, where ids come from and where
 * failures are logged, and the validated handler options.
 */
export interface HttpParts {
  readonly gateway: Gateway;
  readonly authenticate: ExchangeAuthenticator;
  /** True when a caller that presents credentials on the media route is held to its own tenant. */
  readonly checksPresentedKeys: boolean;
  readonly media: MediaHandler;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly cors: CorsPolicy | undefined;
  /** Path prefix the routes live under ('' or like '/oai'). */
  readonly prefix: string;
  readonly maxBodyBytes: number;
  /** Limits of image uploads (edits, variations). */
  readonly uploads: UploadLimits;
  readonly acceptRequestId: boolean;
  /** Routes served next to the handler, for the OpenAPI document. */
  readonly extraRouteDocs: readonly RouteDoc[];
}

/** One request on its way through a route. */
export interface RouteContext extends ReplyContext {
  readonly exchange: HttpExchange;
  /** The path below the prefix (`/v1/models/abc`). */
  readonly path: string;
  /** The caller, once authenticated. */
  tenant?: TenantContext;
  /** Set when authentication was attempted (so a refusal never calls the hook a second time). */
  authenticationTried?: boolean;
  /** The parsed JSON body, once read (kept for the audit record of a refusal). */
  body?: Record<string, unknown>;
  /** The operation of the route (for the audit record of a refusal). */
  readonly operation: Operation;
  /** Set when the request is handed to the gateway, which then writes its audit record itself. */
  handedToGateway: boolean;
}

/**
 * One route: which paths and methods it answers, in which envelope, whether callers must
 * authenticate, and whether its requests are audited. A new endpoint is one file exporting a
 * function that returns a Route, added to the list in `routes/index.ts`.
 */
export interface Route {
  /** For logs and tests. */
  readonly name: string;
  /** Whether the route serves this path (below the prefix). */
  matches(path: string): boolean;
  /** Methods served (OPTIONS is answered by the router). */
  readonly methods: readonly string[];
  readonly style: EnvelopeStyle;
  /** The gateway operation of an image route (default `generate`): its refusals are audited as one. */
  readonly operation?: Operation;
  /**
   * `required`: the router authenticates before `handle`. `if-presented`: only a caller that sends
   * credentials is authenticated (the media route, where the signed token is the credential).
   */
  readonly authentication: 'required' | 'if-presented';
  /**
   * Requests to this route ask for images: each one leaves exactly one audit record, including
   * those refused before the gateway runs (wrong method, failed authentication, unreadable body).
   */
  readonly audited: boolean;
  handle(context: RouteContext): Promise<HttpReply>;
}

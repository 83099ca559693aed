/**
 * `@pixelgate/core/adapter-utils`: what server adapters (`@pixelgate/node`, a framework binding)
 * use to serve the HTTP handler natively: the runtime-neutral exchange it carries, and the body
 * reader with its size limit.
 * @packageDocumentation
 */
export {
  type ExchangeHandler,
  type HeaderReader,
  HTTP_EXCHANGE_HANDLER,
  type HttpExchange,
  type HttpReply,
  type HttpReplyBody,
} from './http/http-exchange.ts';
export { payloadTooLarge, readRequestBody } from './http/request-body.ts';

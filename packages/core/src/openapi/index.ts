export {
  buildOpenApiDocument,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
} from './openapi-document.ts';
export { ROUTE_DOCS, type RouteDoc, type RouteResponseDoc, type RouteStyle } from './openapi-routes.ts';
export * from './response-schemas.ts';

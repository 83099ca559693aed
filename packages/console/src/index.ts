/**
 * @pixelgate/console: the browser console and the interactive API reference for a pixelgate
 * server, served from this package's files.
 * @packageDocumentation
 */
export {
  type AuditChainStatus,
  type AuditReader,
  type FileAuditReaderOptions,
  fileAuditReader,
  memoryAuditReader,
} from './audit-reader.ts';
export { type ConsoleHandler, type ConsoleHandlerOptions, createConsoleHandler } from './console-handler.ts';
export { CONSOLE_ROUTE_DOCS } from './console-route-docs.ts';

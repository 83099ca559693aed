/**
 * @pixelgate/node: mounts pixelgate's fetch-style HTTP handler in `node:http`, Express and Fastify,
 * with a Node-native fast path for pixelgate's own handler.
 * @packageDocumentation
 */
export { answerClientError } from './client-error.ts';
export {
  type ClosableServer,
  createNodeServer,
  type ListeningServer,
  type ListenOptions,
  listen,
  type NodeServerOptions,
} from './node-server.ts';
export {
  type FetchHandler,
  type NodeHandler,
  type NodeHandlerOptions,
  toNodeHandler,
} from './to-node-handler.ts';

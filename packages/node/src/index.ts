/**
 * @pixelgate/node: mounts pixelgate's fetch-style HTTP handler in `node:http`, Express and Fastify.
 * @packageDocumentation
 */
export * from './node-server.ts';
export * from './to-node-handler.ts';

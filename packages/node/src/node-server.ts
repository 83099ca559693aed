import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerClientError } from './client-error.ts';
import { type FetchHandler, type NodeHandlerOptions, toNodeHandler } from './to-node-handler.ts';

/** Options of {@link createNodeServer}. */
export interface NodeServerOptions extends NodeHandlerOptions {
  /**
   * Milliseconds `close()` waits for requests in flight before dropping their connections
   * (default 10 000). Generations can take a while; a deploy should not cut them short lightly.
   */
  shutdownGraceMs?: number;
}

/** A running server that can be stopped and awaited. */
export interface ClosableServer {
  /** The underlying `node:http` server. */
  readonly server: Server;
  /**
   * Stops accepting connections, lets requests in flight finish (up to the grace period), then
   * closes every remaining socket. Idempotent.
   */
  close(): Promise<void>;
}

/** A listening server: where it is, and how to stop it. */
export interface ListeningServer extends ClosableServer {
  /** `http://host:port` with the bound port (useful with port 0). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
}

/** Options of {@link listen}. */
export interface ListenOptions extends NodeServerOptions {
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind (default `127.0.0.1`: nothing is exposed unless asked). */
  host?: string;
}

/**
 * A `node:http` server for a fetch-style handler, closable without hanging on keep-alive or
 * streaming connections: `close()` drains, then drops what is left. Malformed requests get the
 * JSON error envelope with a request id and `Connection: close` (see {@link answerClientError}). Why not `server.close()`
 * alone: it waits for every idle keep-alive socket, which is how test suites and deploys hang.
 */
export function createNodeServer(handler: FetchHandler, options: NodeServerOptions = {}): ClosableServer {
  const server = createServer(toNodeHandler(handler, options));
  // The response being written on each socket, so a parse error after it never corrupts it.
  const responses = new WeakMap<object, ServerResponse>();
  server.on('request', (req, res) => {
    responses.set(req.socket, res);
  });
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    const inFlight = responses.get(socket);
    answerClientError(error, socket, inFlight && !inFlight.writableFinished ? inFlight : undefined);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const grace = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;
  return {
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          for (const socket of sockets) socket.destroy();
          resolve();
          return;
        }
        const timer = setTimeout(() => server.closeAllConnections(), grace);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * Starts a server for a handler and resolves once it listens: the one-liner for scripts, tests and
 * small deployments (`const { url, close } = await listen(handler, { port: 8080 })`).
 */
export async function listen(handler: FetchHandler, options: ListenOptions = {}): Promise<ListeningServer> {
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  const closable = createNodeServer(handler, rest);
  const { server } = closable;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    close: closable.close,
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    host: address.address,
  };
}

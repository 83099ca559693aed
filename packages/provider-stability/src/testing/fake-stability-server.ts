/**
 * A fake Stability AI server: a real HTTP server on 127.0.0.1 that parses multipart like the v2beta
 * API, validates per endpoint, answers in both reply formats with real images of the right size,
 * speaks the v1 JSON API with the SDXL size whitelist, and can be told to fail the ways the real
 * one does. Behaviour follows the shared wire reference (provider-apis.md section 2); points the
 * reference marks UNCONFIRMED are options.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createContext, errorId, sendJson } from './fake-stability-context.ts';
import { handleRequest } from './fake-stability-router.ts';
import type {
  FakeStabilityScenario,
  FakeStabilityServer,
  FakeStabilityServerOptions,
} from './fake-stability-types.ts';

export type {
  FakeStabilityRequest,
  FakeStabilityScenario,
  FakeStabilityServer,
  FakeStabilityServerOptions,
  V1EngineSizeRule,
} from './fake-stability-types.ts';

/**
 * Starts a fake Stability server on 127.0.0.1 on a random port. Always `close()` it (afterAll or
 * afterEach): it cuts open connections and pending slow answers.
 */
export async function startFakeStabilityServer(
  options: FakeStabilityServerOptions = {},
): Promise<FakeStabilityServer> {
  const ctx = createContext(options);
  const { requests, scenarios, waiters, timers, limiter } = ctx;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    handleRequest(ctx, request, response).catch((error) => {
      if (!response.headersSent) {
        sendJson(ctx, response, 500, {
          id: errorId(),
          name: 'internal_error',
          errors: [`fake server failure: ${String(error)}`],
        });
      } else {
        response.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get creditsUsed() {
      return ctx.creditsUsed;
    },
    enqueue(...more: FakeStabilityScenario[]) {
      scenarios.push(...more);
    },
    waitForRequests(count: number) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    reset() {
      requests.length = 0;
      scenarios.length = 0;
      limiter?.reset();
      ctx.creditsUsed = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const waiter of waiters.splice(0)) waiter.resolve();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

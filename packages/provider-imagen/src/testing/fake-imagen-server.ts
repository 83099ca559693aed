import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createContext, HttpFailure, rpcError, send } from './fake-imagen-context.ts';
import { handleRequest } from './fake-imagen-router.ts';
import type { FakeImagenServer, FakeImagenServerOptions } from './fake-imagen-types.ts';

export { defaultFakeImagenModels } from './fake-imagen-context.ts';
export type {
  FakeImagenBehaviour,
  FakeImagenModel,
  FakeImagenRequest,
  FakeImagenScenario,
  FakeImagenServer,
  FakeImagenServerOptions,
} from './fake-imagen-types.ts';

/**
 * Starts a fake of Google's image APIs on 127.0.0.1 (random port): Vertex AI
 * (`/{v1,v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{m}:{predict,generateContent,streamGenerateContent}`,
 * bearer tokens), the Gemini API (`/v1beta/models/{m}:{predict,generateContent,streamGenerateContent}`, `x-goog-api-key`
 * or `?key=`) and an OAuth2 token endpoint verifying RS256 service-account assertions. It
 * validates like the reference says the real API does, renders real images of the right pixel
 * size, and answers queued scenarios (filtering, blocks, 429, 5xx, slow or cut-short bodies).
 */
export async function startFakeImagenServer(
  options: FakeImagenServerOptions = {},
): Promise<FakeImagenServer> {
  const ctx = createContext(options);
  const { apiKey, requests, scenarios, timers, tokenFailures, accessTokens, serviceAccounts } = ctx;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handleRequest(ctx, req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return;
        if (error instanceof HttpFailure) return send(res, error.status, error.body);
        send(res, 500, rpcError(500, 'Internal error encountered.').body);
      });
    });
  });
  // Clients (undici) keep idle sockets for about 4 s; a server that closes idle sockets first races
  // them under load (ECONNRESET on reuse). The fake never closes an idle socket before its clients do.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = ctx.url;

  return {
    get url() {
      return ctx.url;
    },
    get tokenUri() {
      return `${url}/token`;
    },
    apiKey,
    requests,
    get tokensIssued() {
      return ctx.tokensIssued;
    },
    enqueue(...next) {
      scenarios.push(...next);
    },
    failNextTokenRequest(status) {
      tokenFailures.push(status);
    },
    setTokenLifetime(seconds) {
      ctx.tokenLifetime = seconds;
    },
    revokeAccessTokens() {
      for (const [token, expires] of accessTokens)
        if (expires !== Number.POSITIVE_INFINITY) accessTokens.delete(token);
    },
    createServiceAccountKey(keyOptions = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const clientEmail =
        keyOptions.clientEmail ??
        `fake-${randomBytes(4).toString('hex')}@fake-project.iam.gserviceaccount.com`;
      serviceAccounts.set(clientEmail, publicKey);
      return {
        type: 'service_account',
        project_id: keyOptions.projectId ?? 'fake-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: clientEmail,
        client_id: '100000000000000000000',
        token_uri: `${url}/token`,
      };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

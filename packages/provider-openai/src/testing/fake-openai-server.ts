import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { OPENAI_MODELS } from '../openai-catalog.ts';
import { handleRequest } from './fake-openai-router.ts';
import type { FakeOpenAIContext } from './fake-openai-shared.ts';
import type { FakeOpenAIServer, FakeOpenAIServerOptions } from './fake-openai-types.ts';

export type {
  FakeAzureOptions,
  FakeOpenAIScenario,
  FakeOpenAIServer,
  FakeOpenAIServerOptions,
  RecordedRequest,
} from './fake-openai-types.ts';

/** The key the fake accepts by default: shaped like a real one, so redaction is exercised. */
export const FAKE_OPENAI_API_KEY = 'sk-test-fakeopenai-0123456789abcdefABCDEF';

function contextFor(options: FakeOpenAIServerOptions): FakeOpenAIContext {
  return {
    options,
    apiKey: options.apiKey ?? FAKE_OPENAI_API_KEY,
    models: new Map(
      (options.models ?? OPENAI_MODELS).map((input) => {
        const model = modelDescriptorSchema.parse({ ...input, provider: input.provider || 'openai' });
        return [model.id, model] as const;
      }),
    ),
    unavailable: new Set(options.unavailableModels ?? []),
    azureVersions: new Set(options.azure?.apiVersions ?? ['2024-02-01', '2024-10-21', '2025-04-01-preview']),
    queue: [],
    requests: [],
    files: new Map(),
    renderCache: new Map(),
    timers: new Set(),
    baseUrl: '',
    openStreams: 0,
  };
}

/**
 * Starts a fake of OpenAI's Images and Moderations APIs (and Azure's deployment paths) on
 * 127.0.0.1 at a random port. It validates each request against the model catalog the way the
 * reference says the real API does, returns real PNG/JPEG/WebP bytes of the requested size, and can
 * be told to fail in every documented way, so apps can be tested without credits or network.
 */
export async function startFakeOpenAIServer(
  options: FakeOpenAIServerOptions = {},
): Promise<FakeOpenAIServer> {
  const context = contextFor(options);
  const { queue, requests, timers } = context;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    handleRequest(context, request, response).catch(() => {
      if (!response.headersSent) response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  context.baseUrl = baseUrl;

  return {
    url: baseUrl,
    baseURL: `${baseUrl}/v1`,
    requests,
    enqueue(...scenarios) {
      queue.push(...scenarios);
    },
    pendingScenarios: () => queue.length,
    openStreams: () => context.openStreams,
    reset() {
      requests.length = 0;
      queue.length = 0;
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

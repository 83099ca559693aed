import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { TEST_KEY } from './bfl.test-helpers.ts';
import { createBflProvider } from './bfl-provider.ts';
import { type FakeBflScenario, startFakeBflServer } from './testing/index.ts';

/** The kit's scenario names in the fake server's terms. */
const SCENARIOS: Record<ConformanceScenario, FakeBflScenario> = {
  success: 'success',
  unauthorized: 'unauthorized',
  rate_limited: { type: 'rate_limited', retryAfterSeconds: 2 },
  server_error: 'server_error',
  malformed: 'malformed',
  content_filtered: 'content_filtered',
  // The task stays Pending: abort and deadline land mid-poll.
  slow: { type: 'slow', delayMs: 5_000 },
};

for (const modelId of ['flux-pro-1.1', 'flux-kontext-pro']) {
  describeImageProviderConformance({
    name: `bfl (${modelId})`,
    async setup({ fetch }) {
      const server = await startFakeBflServer();
      return {
        provider: createBflProvider({
          apiKey: TEST_KEY,
          baseURL: server.url,
          resultHosts: [server.cdnHost],
          pollIntervalMs: 20,
          fetch,
        }),
        modelId,
        secrets: [TEST_KEY],
        // The API and the CDN are two servers on 127.0.0.1 (two hosts to the allow lists); every
        // request must reach one of them, so the common prefix is what the kit checks.
        baseURL: 'http://127.0.0.1:',
        scenario(name) {
          server.enqueue(SCENARIOS[name]);
        },
        requests: () => server.requests.map((request) => request.url),
        teardown: () => server.close(),
      };
    },
  });
}

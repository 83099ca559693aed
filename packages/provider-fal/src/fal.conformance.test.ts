import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { TEST_KEY } from './fal.test-helpers.ts';
import { createFalProvider } from './fal-provider.ts';
import { type FakeFalScenario, startFakeFalServer } from './testing/index.ts';

/** The kit's scenario names in the fake server's terms. */
const SCENARIOS: Record<ConformanceScenario, FakeFalScenario> = {
  success: 'success',
  unauthorized: 'unauthorized',
  rate_limited: { type: 'rate_limited', retryAfterSeconds: 2 },
  server_error: 'server_error',
  malformed: 'malformed',
  content_filtered: 'content_filtered',
  // Queue models stay IN_QUEUE (abort and deadline land mid-poll); sync models answer late.
  slow: { type: 'slow', delayMs: 5_000 },
};

for (const [label, modelId] of [
  ['queue', 'fal-ai/flux/dev'],
  ['sync', 'fal-ai/flux/schnell'],
  ['queue, aspect ratios', 'fal-ai/flux-pro/v1.1-ultra'],
] as const) {
  describeImageProviderConformance({
    name: `fal (${label}: ${modelId})`,
    async setup({ fetch }) {
      const server = await startFakeFalServer();
      return {
        provider: createFalProvider({
          apiKey: TEST_KEY,
          queueBaseURL: server.queueUrl,
          syncBaseURL: server.syncUrl,
          resultHosts: [server.cdnHost],
          pollIntervalMs: 20,
          fetch,
        }),
        modelId,
        secrets: [TEST_KEY],
        // Queue, sync and CDN are three servers on 127.0.0.1 (three hosts to the allow lists).
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

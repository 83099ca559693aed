import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { TEST_KEY } from './stability.test-helpers.ts';
import { createStabilityProvider } from './stability-provider.ts';
import { type FakeStabilityScenario, startFakeStabilityServer } from './testing/index.ts';

/** The kit's scenario names in the fake server's terms. */
const SCENARIOS: Record<ConformanceScenario, FakeStabilityScenario> = {
  success: 'success',
  unauthorized: 'unauthorized',
  rate_limited: { type: 'rate_limited', retryAfterSeconds: 2 },
  server_error: 'server_error',
  malformed: 'truncated',
  content_filtered: 'content_filtered',
  slow: { type: 'slow', delayMs: 5_000 },
};

for (const [label, modelId, responseFormat] of [
  ['v2beta core, raw image replies', 'stable-image-core', 'image'],
  ['v2beta sd3.5-flash, JSON replies', 'sd3.5-flash', 'json'],
  ['v1 SDXL', 'stable-diffusion-xl-1024-v1-0', 'image'],
] as const) {
  describeImageProviderConformance({
    name: `stability (${label})`,
    async setup({ fetch }) {
      const server = await startFakeStabilityServer();
      return {
        provider: createStabilityProvider({ apiKey: TEST_KEY, baseURL: server.url, fetch, responseFormat }),
        modelId,
        // The inpaint endpoint: one input image and a luminance mask (white = edit).
        editModelId: 'stable-image-inpaint',
        secrets: [TEST_KEY],
        baseURL: server.url,
        scenario(name) {
          server.enqueue(SCENARIOS[name]);
        },
        requests: () => server.requests.map((request) => `${server.url}${request.url}`),
        teardown: () => server.close(),
      };
    },
  });
}

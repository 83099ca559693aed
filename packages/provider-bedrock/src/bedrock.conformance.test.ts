import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { createBedrockProvider } from './bedrock-provider.ts';
import {
  FAKE_BEDROCK_CREDENTIALS,
  type FakeBedrockScenario,
  startFakeBedrockServer,
} from './testing/index.ts';

/** The kit's scenario names in the fake server's terms. */
const SCENARIOS: Record<ConformanceScenario, FakeBedrockScenario> = {
  success: 'success',
  unauthorized: 'unauthorized',
  rate_limited: 'rate_limited',
  server_error: 'server_error',
  malformed: 'malformed',
  content_filtered: 'content_filtered',
  slow: { type: 'slow', delayMs: 5_000 },
};

for (const [modelId, region] of [
  ['amazon.nova-canvas-v1:0', 'us-east-1'],
  ['amazon.titan-image-generator-v2:0', 'us-west-2'],
  ['stability.sd3-5-large-v1:0', 'us-west-2'],
] as const) {
  describeImageProviderConformance({
    name: `bedrock (${modelId}, ${region})`,
    async setup({ fetch }) {
      const server = await startFakeBedrockServer({ region });
      return {
        provider: createBedrockProvider({
          region,
          endpoint: server.url,
          credentials: { ...FAKE_BEDROCK_CREDENTIALS },
          fetch,
        }),
        modelId,
        secrets: [FAKE_BEDROCK_CREDENTIALS.secretAccessKey],
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

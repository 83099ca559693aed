import type { ImageProvider } from '@pixelgate/core/provider-utils';
import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { createAzureOpenAIProvider, createOpenAIProvider } from './openai-provider.ts';
import {
  FAKE_OPENAI_API_KEY,
  type FakeOpenAIScenario,
  type FakeOpenAIServer,
  startFakeOpenAIServer,
} from './testing/index.ts';

const AZURE_KEY = '0123456789abcdef0123456789abcdef';

function scenarioFor(name: ConformanceScenario, family: 'gpt-image' | 'dall-e'): FakeOpenAIScenario {
  switch (name) {
    case 'success':
      return { type: 'success' };
    case 'unauthorized':
      return { type: 'unauthorized' };
    case 'rate_limited':
      return { type: 'rate_limited', retryAfter: '2', resetRequests: '1s', remainingRequests: '0' };
    case 'server_error':
      return { type: 'server_error', status: 503 };
    case 'malformed':
      return { type: 'truncated' };
    case 'content_filtered':
      return family === 'dall-e'
        ? { type: 'content_policy_violation' }
        : { type: 'moderation_blocked', categories: ['violence'] };
    case 'slow':
      return { type: 'slow', delayMs: 10_000 };
  }
}

function harness(
  server: FakeOpenAIServer,
  provider: ImageProvider,
  modelId: string,
  family: 'gpt-image' | 'dall-e',
  secrets: string[],
  baseURL: string,
) {
  return {
    provider,
    modelId,
    secrets,
    baseURL,
    scenario: (name: ConformanceScenario) => server.enqueue(scenarioFor(name, family)),
    requests: () => server.requests.map((request) => `${server.url}${request.url}`),
    teardown: () => server.close(),
  };
}

describeImageProviderConformance({
  name: 'openai (gpt-image-1.5)',
  async setup({ fetch }) {
    const server = await startFakeOpenAIServer();
    const provider = createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: server.baseURL, fetch });
    return harness(server, provider, 'gpt-image-1.5', 'gpt-image', [FAKE_OPENAI_API_KEY], server.baseURL);
  },
});

describeImageProviderConformance({
  name: 'openai-compatible (dall-e-3, one image per call)',
  async setup({ fetch }) {
    const server = await startFakeOpenAIServer();
    const provider = createOpenAIProvider({
      id: 'compatible',
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      servedBy: 'compatible',
      fetch,
    });
    return {
      ...harness(server, provider, 'dall-e-3', 'dall-e', [FAKE_OPENAI_API_KEY], server.baseURL),
      // dall-e-3 neither edits nor varies; the kit's edit and variation checks run on dall-e-2.
      editModelId: 'dall-e-2',
      variationModelId: 'dall-e-2',
    };
  },
});

describeImageProviderConformance({
  name: 'azure-openai (gpt-image-1 deployment)',
  async setup({ fetch }) {
    const server = await startFakeOpenAIServer({
      azure: { apiKey: AZURE_KEY, deployments: { 'img-1': 'gpt-image-1' } },
    });
    const provider = createAzureOpenAIProvider({
      endpoint: server.url,
      apiKey: AZURE_KEY,
      deployments: { 'img-1': 'gpt-image-1' },
      fetch,
    });
    return harness(
      server,
      provider,
      'img-1',
      'gpt-image',
      [AZURE_KEY],
      `${server.url}/openai/deployments/img-1/`,
    );
  },
});

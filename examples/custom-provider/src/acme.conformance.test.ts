import { describeImageProviderConformance } from '@pixelgate/core/testing';
import { createAcmeImagesProvider } from './acme-provider.ts';
import { startFakeAcmeServer } from './testing/index.ts';

describeImageProviderConformance({
  name: 'acme-images',
  async setup({ fetch }) {
    const server = await startFakeAcmeServer();
    return {
      provider: createAcmeImagesProvider({ apiKey: server.apiKey, baseURL: server.url, fetch }),
      modelId: 'acme-1',
      secrets: [server.apiKey],
      baseURL: server.url,
      scenario: (name) => server.scenario(name),
      requests: () => server.requests.map((request) => `${server.url}${request.url}`),
      teardown: () => server.close(),
    };
  },
});

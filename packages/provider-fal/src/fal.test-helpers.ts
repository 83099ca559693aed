import type { ImageProvider, ProviderCall } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { createFalProvider, type FalProviderSettings } from './fal-provider.ts';
import type { FakeFalServer } from './testing/index.ts';

/** The fake server's default key. */
export const TEST_KEY = 'fal-test-key';

/** A provider pointed at a fake server (queue, sync and CDN hosts allowed), polling quickly. */
export function providerFor(server: FakeFalServer, overrides: FalProviderSettings = {}): ImageProvider {
  return createFalProvider({
    apiKey: TEST_KEY,
    queueBaseURL: server.queueUrl,
    syncBaseURL: server.syncUrl,
    resultHosts: [server.cdnHost],
    pollIntervalMs: 20,
    ...overrides,
  });
}

/** A validated call as the core would hand it over. */
export function callFor(
  provider: ImageProvider,
  id: string,
  overrides: Partial<ProviderCall> = {},
): ProviderCall {
  const input = provider.models.find((model) => model.id === id);
  if (!input) throw new Error(`no model ${id}`);
  const model = modelDescriptorSchema.parse(input);
  const ratio = model.defaults.aspectRatio;
  return {
    model,
    prompt: 'a lighthouse at dusk',
    n: 1,
    ...(ratio ? { aspectRatio: ratio, size: model.capabilities.aspectRatios[ratio] } : {}),
    ...(model.defaults.size ? { size: model.defaults.size } : {}),
    outputFormat: model.defaults.outputFormat ?? 'png',
    ...(model.defaults.style ? { style: model.defaults.style } : {}),
    operation: 'generate',
    providerOptions: {},
    ...overrides,
  };
}

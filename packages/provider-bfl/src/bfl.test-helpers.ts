import type { ImageProvider, ProviderCall } from '@pixelgate/core/provider-utils';
import { type ModelDescriptor, modelDescriptorSchema } from '@pixelgate/core/spec';
import { type BflProviderSettings, createBflProvider } from './bfl-provider.ts';
import type { FakeBflServer } from './testing/index.ts';

/** The fake server's default key. */
export const TEST_KEY = 'bfl-test-key';

/** A provider pointed at a fake server (API and CDN hosts allowed), polling quickly. */
export function providerFor(server: FakeBflServer, overrides: BflProviderSettings = {}): ImageProvider {
  return createBflProvider({
    apiKey: TEST_KEY,
    baseURL: server.url,
    resultHosts: [server.cdnHost],
    pollIntervalMs: 20,
    ...overrides,
  });
}

/** Parses a model of a provider the way the registry does. */
export function modelOf(provider: ImageProvider, id: string): ModelDescriptor {
  const input = provider.models.find((model) => model.id === id);
  if (!input) throw new Error(`no model ${id}`);
  return modelDescriptorSchema.parse(input);
}

/** A validated call as the core would hand it over. */
export function callFor(
  provider: ImageProvider,
  id: string,
  overrides: Partial<ProviderCall> = {},
): ProviderCall {
  const model = modelOf(provider, id);
  const ratio = model.defaults.aspectRatio;
  return {
    model,
    prompt: 'a lighthouse at dusk',
    n: 1,
    ...(ratio ? { aspectRatio: ratio, size: model.capabilities.aspectRatios[ratio] } : {}),
    ...(model.defaults.size ? { size: model.defaults.size } : {}),
    outputFormat: model.defaults.outputFormat ?? 'png',
    operation: 'generate',
    providerOptions: {},
    ...overrides,
  };
}

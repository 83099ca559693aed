import { type ImageProvider, modelDescriptorSchema, type ProviderCall } from '@pixelgate/core/spec';
import { type BedrockProviderSettings, createBedrockProvider } from './bedrock-provider.ts';
import { FAKE_BEDROCK_CREDENTIALS, type FakeBedrockServer } from './testing/index.ts';

/** A provider pointed at a fake server with the fake's static credentials. */
export function providerFor(
  server: FakeBedrockServer,
  overrides: BedrockProviderSettings = {},
): ImageProvider {
  return createBedrockProvider({
    region: server.region,
    endpoint: server.url,
    credentials: { ...FAKE_BEDROCK_CREDENTIALS },
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
    ...(model.defaults.quality ? { quality: model.defaults.quality } : {}),
    outputFormat: model.defaults.outputFormat ?? 'png',
    operation: 'generate',
    providerOptions: {},
    ...overrides,
  };
}

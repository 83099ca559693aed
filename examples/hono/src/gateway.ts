import { createGateway, type Gateway, type ImageProvider } from '@pixelgate/core';
import { createLocalProvider } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { createStabilityProvider } from '@pixelgate/provider-stability';

/**
 * The example's gateway: the offline local provider always, real providers when their keys are
 * set. `env` is a parameter so the tests run offline whatever the shell exports.
 */
export function createExampleGateway(env: Record<string, string | undefined> = process.env): Gateway {
  const providers: ImageProvider[] = [createLocalProvider()];
  if (env.OPENAI_API_KEY) providers.push(createOpenAIProvider({ apiKey: env.OPENAI_API_KEY }));
  if (env.STABILITY_API_KEY) providers.push(createStabilityProvider({ apiKey: env.STABILITY_API_KEY }));
  return createGateway({
    providers,
    defaultModel: env.OPENAI_API_KEY ? 'openai/gpt-image-1.5' : 'local/placeholder',
  });
}

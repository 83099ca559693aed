import {
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  type FetchHandler,
  type Gateway,
  type ImageProvider,
} from '@pixelgate/core';
import { createLocalProvider } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { createStabilityProvider } from '@pixelgate/provider-stability';

/** The gateway and its HTTP handler, as the route module uses them. */
export interface Pixelgate {
  gateway: Gateway;
  handler: FetchHandler;
}

/**
 * Builds the gateway from the environment: the offline local provider always, real providers
 * when their keys are set, API keys from PIXELGATE_API_KEY.
 */
export function createPixelgate(env: Record<string, string | undefined> = process.env): Pixelgate {
  const providers: ImageProvider[] = [createLocalProvider()];
  if (env.OPENAI_API_KEY) providers.push(createOpenAIProvider({ apiKey: env.OPENAI_API_KEY }));
  if (env.STABILITY_API_KEY) providers.push(createStabilityProvider({ apiKey: env.STABILITY_API_KEY }));
  const gateway = createGateway({
    providers,
    defaultModel: env.OPENAI_API_KEY ? 'openai/gpt-image-1.5' : 'local/placeholder',
    // Media URLs must point back at this route: see app/v1/[...path]/route.ts.
    ...(env.PIXELGATE_PUBLIC_URL ? { media: { publicBaseUrl: env.PIXELGATE_PUBLIC_URL } } : {}),
  });
  const key = env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'example', key, tenantId: 'example' }] }),
  });
  return { gateway, handler };
}

const globalSlot = globalThis as typeof globalThis & { __pixelgate?: Pixelgate };

/**
 * One gateway per server process. Kept on `globalThis` because Next's dev server re-evaluates
 * modules on every edit; a module-level singleton would leak a gateway (and its in-memory
 * budgets, rate limits and stored images) per reload.
 */
export function pixelgate(): Pixelgate {
  globalSlot.__pixelgate ??= createPixelgate();
  return globalSlot.__pixelgate;
}

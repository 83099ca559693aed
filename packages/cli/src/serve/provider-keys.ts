import { GatewayError } from '@pixelgate/core';
import type { ProvidersConfig } from '../config.ts';
import { PROVIDER_ENVIRONMENT } from '../gateway-from-config.ts';

/**
 * Refuses to serve with a provider enabled but no key for it. A plugin may accept a key per call
 * (a tenant's own), so creating it without one is legal; a standalone server has no per-call keys,
 * so every request to that provider would fail. Exceptions: an OpenAI-compatible server
 * (`servedBy: 'compatible'`, which may need no key), Vertex AI (`api: 'vertex'`, or a project or
 * key file: service-account credentials) and Bedrock (the AWS credential chain).
 * @throws GatewayError CONFIGURATION_ERROR naming the setting and the variable to set.
 */
export function requireProviderKeys(
  providers: ProvidersConfig,
  env: Readonly<Record<string, string | undefined>>,
): void {
  const missing = (name: keyof typeof PROVIDER_ENVIRONMENT, apiKey: string | undefined) => {
    if (apiKey || env[PROVIDER_ENVIRONMENT[name]]) return;
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `provider ${name} is enabled but has no API key: set ${PROVIDER_ENVIRONMENT[name]} or providers.${name}.apiKey`,
      { param: `providers.${name}.apiKey` },
    );
  };
  if (providers.openai && providers.openai.servedBy !== 'compatible')
    missing('openai', providers.openai.apiKey);
  if (providers.stability) missing('stability', providers.stability.apiKey);
  const google = providers.google;
  const vertex =
    google?.api === 'vertex' || (google?.api === undefined && (google?.project || google?.keyFilename));
  if (google && !vertex) missing('google', google.apiKey);
  if (providers.bfl) missing('bfl', providers.bfl.apiKey);
  if (providers.fal) missing('fal', providers.fal.apiKey);
}

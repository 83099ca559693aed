import { GatewayError, type ImageProvider, loadApiKey, mergeCatalog } from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput, ModelLifecycle } from '@pixelgate/core/spec';
import {
  applyServedBy,
  OPENAI_MODELS,
  type OpenAIServedBy,
  openAIModelDataSchema,
} from './openai-catalog.ts';
import { createOpenAIImageProvider, type OpenAIHttpSettings } from './openai-image-provider.ts';

/** Settings of {@link createOpenAIProvider}. */
export interface OpenAIProviderSettings extends OpenAIHttpSettings {
  /** Provider id used in qualified model ids (default `openai`); change it to register several OpenAI-style hosts. */
  id?: string;
  /** The API key. Falls back to the environment variable, read at the first call (not at construction). */
  apiKey?: string;
  /** Environment variable holding the key (default `OPENAI_API_KEY`). */
  apiKeyEnvironmentVariable?: string;
  /** API base including `/v1` (default `https://api.openai.com/v1`); any OpenAI-compatible server works. */
  baseURL?: string;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Sent as `OpenAI-Project`. */
  project?: string;
  /**
   * Who serves the catalog. `openai` (default) applies OpenAI's lifecycle (dall-e-2/3 and
   * gpt-image-1 retired); `compatible` marks a server that still serves them, so they stay usable.
   */
  servedBy?: Exclude<OpenAIServedBy, 'azure'>;
  /** Models to add, or to replace catalog entries with the same id (e.g. a new snapshot). */
  models?: ModelDescriptorInput[];
}

/**
 * The catalog after configuration ({@link mergeCatalog}), with every model's `providerData`
 * checked, so a typo in a routing fact fails at construction rather than at the first call.
 */
function mergeOpenAICatalog(
  provider: string,
  builtIn: ModelDescriptorInput[],
  added: ModelDescriptorInput[] | undefined,
): ModelDescriptorInput[] {
  const merged = mergeCatalog(provider, builtIn, added);
  for (const model of merged) {
    const check = openAIModelDataSchema.safeParse(model.providerData ?? {});
    if (!check.success) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${provider}: model ${model.id} has invalid providerData (${check.error.issues[0]?.message}); ` +
          'accepted keys are family (gpt-image | dall-e), upstreamModel, rewritesPrompt, experimentalAbovePixels, transparentBackgroundPreview and deployment.',
        { provider },
      );
    }
  }
  return merged;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * OpenAI's Images API (or any server speaking it). The key is read lazily so that the catalog can
 * be listed, and the gateway configured, on a machine without one; a tenant's own key
 * (`context.credentials.apiKey`) overrides it per call.
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'openai';
  const servedBy = settings.servedBy ?? 'openai';
  const baseURL = trimSlash(settings.baseURL ?? 'https://api.openai.com/v1');
  const environmentVariable = settings.apiKeyEnvironmentVariable ?? 'OPENAI_API_KEY';
  const models = mergeOpenAICatalog(
    id,
    OPENAI_MODELS.map((model) => applyServedBy(model, servedBy)),
    settings.models,
  );
  return createOpenAIImageProvider({
    id,
    label: id === 'openai' ? 'OpenAI' : id,
    models,
    sendModel: true,
    url: (_model, _data, endpoint) => `${baseURL}/images/${endpoint}`,
    async auth(context) {
      const apiKey =
        context.credentials?.apiKey ??
        loadApiKey({ apiKey: settings.apiKey, environmentVariable, provider: id });
      return {
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(settings.organization ? { 'openai-organization': settings.organization } : {}),
          ...(settings.project ? { 'openai-project': settings.project } : {}),
        },
        secrets: [apiKey],
      };
    },
    http: settings,
  });
}

/**
 * Azure deployments declare no variations: the provider reference documents `images/variations`
 * for OpenAI's own API only, and a capability is declared only where the API is known to have it.
 */
function withoutVariations(model: ModelDescriptorInput): ModelDescriptorInput {
  if (!model.capabilities.variation) return model;
  const { variation: _dropped, ...capabilities } = model.capabilities;
  return { ...model, capabilities };
}

/** One Azure deployment: the catalog model it runs, and optionally its own lifecycle. */
export interface AzureDeployment {
  /** The catalog model id the deployment runs (`dall-e-3`, `gpt-image-1.5`, or one added in `models`). */
  model: string;
  /** Azure's own lifecycle for this deployment; by default the deployment is active. */
  lifecycle?: ModelLifecycle;
}

/** Settings of {@link createAzureOpenAIProvider}. */
export interface AzureOpenAIProviderSettings extends OpenAIHttpSettings {
  /** Provider id (default `azure-openai`). */
  id?: string;
  /** The resource endpoint, `https://<resource>.openai.azure.com` (or a compatible gateway). */
  endpoint?: string;
  /** The resource name, when `endpoint` is not given. */
  resourceName?: string;
  /** Query parameter `api-version` (default `2025-04-01-preview`, the first with GPT image models). */
  apiVersion?: string;
  /**
   * Deployment name -> the catalog model it runs. Each deployment becomes one model of this
   * provider, named by the deployment, with the model's capabilities and prices.
   */
  deployments: Record<string, string | AzureDeployment>;
  /** An `api-key`. Falls back to the environment variable at the first call. */
  apiKey?: string;
  /** Environment variable holding the key (default `AZURE_OPENAI_API_KEY`). */
  apiKeyEnvironmentVariable?: string;
  /** Microsoft Entra ID: returns a bearer token (called per request, so it may refresh). */
  azureADTokenProvider?: () => Promise<string> | string;
  /** Extra catalog models deployments may refer to. */
  models?: ModelDescriptorInput[];
}

/**
 * Azure OpenAI: deployments in the URL, `api-version` in the query, `api-key` or an Entra bearer
 * token. Azure keeps serving models OpenAI retired, so deployments are active unless configured
 * otherwise.
 */
export function createAzureOpenAIProvider(settings: AzureOpenAIProviderSettings): ImageProvider {
  const id = settings.id ?? 'azure-openai';
  const apiVersion = settings.apiVersion ?? '2025-04-01-preview';
  const environmentVariable = settings.apiKeyEnvironmentVariable ?? 'AZURE_OPENAI_API_KEY';
  if (!settings.endpoint && !settings.resourceName) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${id}: set endpoint (https://<resource>.openai.azure.com) or resourceName.`,
      {
        provider: id,
      },
    );
  }
  if (settings.apiKey && settings.azureADTokenProvider) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${id}: set either apiKey or azureADTokenProvider, not both.`,
      {
        provider: id,
      },
    );
  }
  const endpoint = trimSlash(settings.endpoint ?? `https://${settings.resourceName}.openai.azure.com`);
  const base = mergeOpenAICatalog(id, OPENAI_MODELS, settings.models);
  const deploymentEntries = Object.entries(settings.deployments ?? {});
  if (deploymentEntries.length === 0) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${id}: deployments is empty; map each deployment name to a model id.`,
      {
        provider: id,
      },
    );
  }
  const models: ModelDescriptorInput[] = deploymentEntries.map(([deployment, value]) => {
    const spec: AzureDeployment = typeof value === 'string' ? { model: value } : value;
    const model = base.find((candidate) => candidate.id === spec.model);
    if (!model) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `${id}: deployment ${deployment} names unknown model ${spec.model}; known models: ${base.map((m) => m.id).join(', ')}.`,
        { provider: id },
      );
    }
    const served = withoutVariations(applyServedBy(model, 'azure'));
    return {
      ...served,
      id: deployment,
      provider: id,
      aliases: [],
      displayName: `${model.displayName ?? model.id} (Azure deployment ${deployment})`,
      lifecycle: spec.lifecycle ?? served.lifecycle ?? { status: 'active' },
      providerData: {
        ...model.providerData,
        upstreamModel: (model.providerData?.upstreamModel as string | undefined) ?? model.id,
        deployment,
      },
    };
  });
  return createOpenAIImageProvider({
    id,
    label: 'Azure OpenAI',
    models,
    sendModel: false,
    url: (model, data, operation) =>
      `${endpoint}/openai/deployments/${encodeURIComponent(data.deployment ?? model.id)}/images/${operation}?api-version=${encodeURIComponent(apiVersion)}`,
    async auth(context): Promise<{ headers: Record<string, string>; secrets: string[] }> {
      const byok = context.credentials?.apiKey;
      if (byok) return { headers: { 'api-key': byok }, secrets: [byok] };
      if (settings.azureADTokenProvider) {
        let token: string;
        try {
          token = await settings.azureADTokenProvider();
        } catch (error) {
          throw new GatewayError('CONFIGURATION_ERROR', `${id}: the Entra token provider failed.`, {
            provider: id,
            cause: error,
          });
        }
        return { headers: { authorization: `Bearer ${token}` }, secrets: [token] };
      }
      const apiKey = loadApiKey({ apiKey: settings.apiKey, environmentVariable, provider: id });
      return { headers: { 'api-key': apiKey }, secrets: [apiKey] };
    },
    http: settings,
  });
}

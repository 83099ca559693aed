import type { FetchFunction } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callFor, contextFor, expectNoSecret, rejection } from './openai.test-helpers.ts';
import { type AzureOpenAIProviderSettings, createAzureOpenAIProvider } from './openai-provider.ts';
import { type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

const AZURE_KEY = '0123456789abcdef0123456789abcdef';
const ENTRA_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.fake-entra-token.signature';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({
    azure: {
      apiKey: AZURE_KEY,
      bearerToken: ENTRA_TOKEN,
      deployments: { 'painter-d3': 'dall-e-3', gpt15: 'gpt-image-1.5' },
    },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function azure(settings: Partial<AzureOpenAIProviderSettings> = {}) {
  return createAzureOpenAIProvider({
    endpoint: server.url,
    apiKey: AZURE_KEY,
    deployments: { 'painter-d3': 'dall-e-3', gpt15: 'gpt-image-1.5' },
    ...settings,
  } as AzureOpenAIProviderSettings);
}

describe('Azure OpenAI', () => {
  it('exposes one model per deployment, active even where OpenAI retired the model', () => {
    const provider = azure();
    expect(provider.id).toBe('azure-openai');
    expect(provider.models.map((model) => model.id)).toEqual(['painter-d3', 'gpt15']);
    const dallE3 = provider.models[0]!;
    expect(dallE3.lifecycle).toMatchObject({ status: 'active', replacement: 'gpt-image-1.5' });
    expect(dallE3.lifecycle?.note).toContain('served by Azure OpenAI');
    expect(dallE3.capabilities.maxImagesPerCall).toBe(1);
    expect(dallE3.providerData).toMatchObject({
      deployment: 'painter-d3',
      upstreamModel: 'dall-e-3',
      family: 'dall-e',
    });
  });

  it('a deployment may carry its own lifecycle', () => {
    const provider = azure({
      deployments: {
        old: { model: 'dall-e-2', lifecycle: { status: 'deprecated', retiresOn: '2027-03-01' } },
      },
    });
    expect(provider.models[0]!.lifecycle).toEqual({ status: 'deprecated', retiresOn: '2027-03-01' });
  });

  it('calls the deployment path with api-version and api-key, without model in the body', async () => {
    const provider = azure({ apiVersion: '2024-10-21' });
    const result = await provider.generate(
      callFor(provider, 'painter-d3', { style: 'natural', quality: 'hd' }),
      contextFor(),
    );
    const request = server.requests.at(-1)!;
    expect(request.url).toBe('/openai/deployments/painter-d3/images/generations?api-version=2024-10-21');
    expect(request.headers['api-key']).toBe(AZURE_KEY);
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      prompt: 'a red lighthouse on a cliff at dusk',
      n: 1,
      size: '1024x1024',
      quality: 'hd',
      style: 'natural',
      response_format: 'b64_json',
    });
    expect(result.images[0]!.revisedPrompt).toBeDefined();
    expect(result.response?.upstreamRequestId).toMatch(/^req_/);
  });

  it('authenticates with a Microsoft Entra token fetched per request', async () => {
    let calls = 0;
    const provider = azure({
      apiKey: undefined,
      azureADTokenProvider: async () => {
        calls++;
        return ENTRA_TOKEN;
      },
    });
    await provider.generate(callFor(provider, 'gpt15', { size: '1024x1024', quality: 'low' }), contextFor());
    await provider.generate(callFor(provider, 'gpt15', { size: '1024x1024', quality: 'low' }), contextFor());
    expect(calls).toBe(2);
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${ENTRA_TOKEN}`);
    expect(server.requests.at(-1)!.headers['api-key']).toBeUndefined();
    expect(server.requests.at(-1)!.body).toMatchObject({ quality: 'low', output_format: 'png' });
  });

  it("a tenant's own key goes in api-key", async () => {
    const provider = azure({ apiKey: 'ffffffffffffffffffffffffffffffff' });
    await provider.generate(
      callFor(provider, 'gpt15', { size: '1024x1024' }),
      contextFor({ credentials: { apiKey: AZURE_KEY } }),
    );
    expect(server.requests.at(-1)!.headers['api-key']).toBe(AZURE_KEY);
  });

  it('a wrong key is upstream_auth and the key is never echoed', async () => {
    const wrong = 'ffffffffffffffffffffffffffffffff';
    const provider = azure({ apiKey: wrong });
    const error = await rejection(provider.generate(callFor(provider, 'gpt15'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_auth', upstreamStatus: 401, retryable: false });
    expectNoSecret(error, wrong);
  });

  it('an unsupported api-version is upstream_rejected', async () => {
    const provider = azure({ apiVersion: '1999-01-01' });
    const error = await rejection(provider.generate(callFor(provider, 'gpt15'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_rejected', upstreamStatus: 400 });
    expect(error.message).toContain('API version not supported');
  });

  it('a deployment the resource does not have is model_unavailable naming the deployment', async () => {
    const provider = azure({ deployments: { missing: 'gpt-image-1' } });
    const error = await rejection(provider.generate(callFor(provider, 'missing'), contextFor()));
    expect(error).toMatchObject({ reason: 'model_unavailable', upstreamCode: 'DeploymentNotFound' });
    expect(error.message).toContain('deployment missing (model gpt-image-1)');
  });

  it('builds the endpoint from resourceName and encodes deployment names', async () => {
    const seen: string[] = [];
    const capture: FetchFunction = async (input) => {
      seen.push(String(input));
      return new Response(
        JSON.stringify({ error: { message: 'nope', type: 'x', param: null, code: null } }),
        { status: 500 },
      );
    };
    const provider = createAzureOpenAIProvider({
      resourceName: 'contoso',
      apiKey: AZURE_KEY,
      deployments: { 'my deployment': 'gpt-image-1.5' },
      fetch: capture,
    });
    await rejection(provider.generate(callFor(provider, 'my deployment'), contextFor()));
    expect(seen).toEqual([
      'https://contoso.openai.azure.com/openai/deployments/my%20deployment/images/generations?api-version=2025-04-01-preview',
    ]);
  });

  it.each([
    [{ endpoint: undefined, resourceName: undefined }, /endpoint/],
    [{ deployments: {} }, /deployments is empty/],
    [{ deployments: { x: 'dall-e-9' } }, /unknown model dall-e-9; known models: .*gpt-image-2/],
    [{ azureADTokenProvider: () => 'token' }, /either apiKey or azureADTokenProvider/],
  ])('refuses a bad configuration %#', (settings, message) => {
    let caught: unknown;
    try {
      azure(settings as Partial<AzureOpenAIProviderSettings>);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect((caught as Error).message).toMatch(message);
  });
});

import { createHash } from 'node:crypto';
import { createGateway } from '@pixelgate/core';
import { BackendError, sniffImage } from '@pixelgate/core/provider-utils';
import { gatewayErrorOf, testCallContext } from '@pixelgate/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFor, providerFor } from './bedrock.test-helpers.ts';
import { mapBedrockError } from './bedrock-error.ts';
import { BEDROCK_CONTENT_FILTERED_LABEL } from './bedrock-provider.ts';
import { FAKE_BEDROCK_CREDENTIALS, type FakeBedrockServer, startFakeBedrockServer } from './testing/index.ts';

let server: FakeBedrockServer;
beforeEach(async () => {
  server = await startFakeBedrockServer();
});
afterEach(async () => {
  await server.close();
});

const reasonOf = (error: unknown) => (BackendError.isBackendError(error) ? error.reason : undefined);

describe('Bedrock InvokeModel, Nova Canvas and Titan', () => {
  it('sends a SigV4-signed TEXT_IMAGE request and returns the decoded images', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'amazon.nova-canvas-v1:0', {
      n: 2,
      size: '1280x720',
      quality: 'premium',
      seed: 5,
      negativePrompt: 'fog',
      providerOptions: { cfg_scale: 7 },
    });
    const result = await provider.generate(call, testCallContext());
    expect(result.images.map((image) => sniffImage(image.bytes))).toEqual([
      { mediaType: 'image/png', width: 1280, height: 720 },
      { mediaType: 'image/png', width: 1280, height: 720 },
    ]);
    const request = server.requests[0]!;
    expect(request.url).toBe('/model/amazon.nova-canvas-v1%3A0/invoke');
    expect(request.body).toEqual({
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'a lighthouse at dusk', negativeText: 'fog' },
      imageGenerationConfig: {
        numberOfImages: 2,
        width: 1280,
        height: 720,
        quality: 'premium',
        cfgScale: 7,
        seed: 5,
      },
    });
    expect(request.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${FAKE_BEDROCK_CREDENTIALS.accessKeyId}/\\d{8}/us-east-1/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`,
      ),
    );
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.headers['x-amz-content-sha256']).toBe(
      createHash('sha256').update(JSON.stringify(request.body)).digest('hex'),
    );
    expect(JSON.stringify(request.headers)).not.toContain(FAKE_BEDROCK_CREDENTIALS.secretAccessKey);
    // 1280x720 is under 1 megapixel: the premium price of the lower tier, per image.
    expect(result.costUsd).toBe(0.12);
    expect(result.response?.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('prices Nova Canvas by resolution tier and quality', async () => {
    const provider = providerFor(server);
    const large = await provider.generate(
      callFor(provider, 'amazon.nova-canvas-v1:0', { size: '2048x2048' }),
      testCallContext(),
    );
    expect(large.costUsd).toBe(0.06);
  });

  it('is refused when the signature does not match (the fake verifies it with the secret)', async () => {
    const provider = providerFor(server, {
      credentials: {
        accessKeyId: FAKE_BEDROCK_CREDENTIALS.accessKeyId,
        secretAccessKey: 'a-wrong-secret-key',
      },
    });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'amazon.nova-canvas-v1:0'), testCallContext()),
    );
    expect(reasonOf(error)).toBe('upstream_auth');
    expect(error.details).toMatchObject({ upstream_code: 'InvalidSignatureException' });
    expect(error.message).not.toContain('a-wrong-secret-key');
  });

  it('is refused when signed for another region', async () => {
    const provider = providerFor(server, { region: 'us-west-2' });
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'amazon.titan-image-generator-v2:0'), testCallContext()),
    );
    expect(reasonOf(error)).toBe('upstream_auth');
  });

  it('withholds images Titan reports as filtered and says how many', async () => {
    server.enqueue('partially_filtered');
    const provider = providerFor(server);
    const result = await provider.generate(
      callFor(provider, 'amazon.titan-image-generator-v2:0', { n: 3, size: '512x512' }),
      testCallContext(),
    );
    expect(result.images).toHaveLength(2);
    expect(result.filteredCount).toBe(1);
    expect(result.warnings?.map((warning) => warning.type)).toContain('content_filtered');
  });

  it('refuses an option the model family does not take before any request', async () => {
    await server.close();
    server = await startFakeBedrockServer({ region: 'us-west-2' });
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(
        callFor(provider, 'stability.sd3-5-large-v1:0', { providerOptions: { cfg_scale: 5 } }),
        testCallContext(),
      ),
    );
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('provider_options.bedrock.cfg_scale');
    expect(server.requests).toHaveLength(0);
  });
});

describe('Bedrock Stability models', () => {
  beforeEach(async () => {
    await server.close();
    server = await startFakeBedrockServer({ region: 'us-west-2' });
  });

  it('sends the flat Stability body and returns the image with its seed', async () => {
    const provider = providerFor(server);
    const call = callFor(provider, 'stability.stable-image-core-v1:1', {
      aspectRatio: '16:9',
      size: '1344x768',
      outputFormat: 'jpeg',
      seed: 77,
      negativePrompt: 'fog',
    });
    const result = await provider.generate(call, testCallContext());
    expect(server.requests[0]!.body).toEqual({
      prompt: 'a lighthouse at dusk',
      mode: 'text-to-image',
      aspect_ratio: '16:9',
      output_format: 'jpeg',
      seed: 77,
      negative_prompt: 'fog',
    });
    expect(sniffImage(result.images[0]!.bytes)).toEqual({
      mediaType: 'image/jpeg',
      width: 1344,
      height: 768,
    });
    expect(result.images[0]!.seed).toBe(77);
    expect(result.costUsd).toBe(0.04);
  });

  it('treats a non-null finish reason as a filter result: content_filtered under fail', async () => {
    server.enqueue('partially_filtered');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'stability.sd3-5-large-v1:0'), testCallContext()),
    );
    expect(reasonOf(error)).toBe('content_filtered');
    expect(error.retryable).toBe(false);
  });

  it('returns the filtered image labelled under flag', async () => {
    server.enqueue('partially_filtered');
    const provider = providerFor(server, { contentFilter: 'flag' });
    const result = await provider.generate(
      callFor(provider, 'stability.sd3-5-large-v1:0'),
      testCallContext(),
    );
    expect(result.images[0]!.labels).toEqual([BEDROCK_CONTENT_FILTERED_LABEL]);
    expect(result.filteredCount).toBeUndefined();
  });
});

describe('Bedrock error mapping against the fake', () => {
  it.each([
    ['access_denied', 'upstream_auth', false, 'AccessDeniedException'],
    ['model_not_ready', 'upstream_unavailable', true, 'ModelNotReadyException'],
    ['quota_exceeded', 'rate_limited', true, 'ServiceQuotaExceededException'],
    ['model_timeout', 'timeout', true, 'ModelTimeoutException'],
    ['rate_limited', 'rate_limited', true, 'ThrottlingException'],
    ['content_filtered', 'content_filtered', false, 'ValidationException'],
  ] as const)('%s → %s (retryable %s), one request only', async (scenario, reason, retryable, code) => {
    server.enqueue(scenario);
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'amazon.nova-canvas-v1:0'), testCallContext()),
    );
    expect(reasonOf(error)).toBe(reason);
    expect(error.retryable).toBe(retryable);
    expect(error.details).toMatchObject({ upstream_code: code });
    // The SDK's own retries are off: the gateway's dispatch decides.
    expect(server.requests).toHaveLength(1);
  });

  it('names the region and the console fix for AccessDenied', async () => {
    server.enqueue('access_denied');
    const provider = providerFor(server);
    const error = await gatewayErrorOf(
      provider.generate(callFor(provider, 'amazon.nova-canvas-v1:0'), testCallContext()),
    );
    expect(error.message).toContain('us-east-1');
    expect(error.message).toContain('model access');
  });

  it('never retries a content-filter refusal through the gateway', async () => {
    server.enqueue('content_filtered');
    const gateway = createGateway({ providers: [providerFor(server)], guardrails: [] });
    const error = await gatewayErrorOf(
      gateway.generate({ model: 'bedrock/amazon.nova-canvas-v1:0', prompt: 'x' }),
    );
    expect(error.details).toMatchObject({ reason: 'content_filtered' });
    expect(server.requests).toHaveLength(1);
    await gateway.close();
  });

  it('maps a missing credential chain to CONFIGURATION_ERROR naming what to set', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const mapped = mapBedrockError({
      provider: 'bedrock',
      error,
      signal: new AbortController().signal,
      secrets: [],
      modelId: 'm',
      region: 'us-east-1',
    });
    expect(mapped.code).toBe('CONFIGURATION_ERROR');
    expect(mapped.message).toContain('AWS_ACCESS_KEY_ID');
  });
});

describe('Bedrock regions', () => {
  it('lists only the models the region serves, configurable per model', () => {
    const east = providerFor(server, { region: 'us-east-1' }).models.map((model) => model.id);
    expect(east).toContain('amazon.nova-canvas-v1:0');
    expect(east).not.toContain('stability.sd3-5-large-v1:0');
    const configured = providerFor(server, {
      region: 'us-east-1',
      regionAvailability: { 'stability.sd3-5-large-v1:0': ['us-east-1'] },
    });
    expect(configured.models.map((model) => model.id)).toContain('stability.sd3-5-large-v1:0');
  });

  it('reports a model the region does not serve as MODEL_NOT_FOUND before any request', async () => {
    const gateway = createGateway({
      providers: [providerFor(server, { region: 'us-east-1' })],
      guardrails: [],
    });
    const error = await gatewayErrorOf(
      gateway.generate({ model: 'bedrock/stability.sd3-5-large-v1:0', prompt: 'x' }),
    );
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(server.requests).toHaveLength(0);
    await gateway.close();
  });
});

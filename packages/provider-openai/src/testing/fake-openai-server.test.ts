import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './index.ts';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({
    unavailableModels: ['gpt-image-1'],
    azure: { deployments: { d3: 'dall-e-3' } },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

async function post(body: unknown, init: { path?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}${init.path ?? '/v1/images/generations'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${FAKE_OPENAI_API_KEY}`,
      ...init.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary JSON answers field by field
    json: (await response.json()) as Record<string, any>,
  };
}

const prompt = 'a teapot';

describe('fake OpenAI server: validation per model', () => {
  it('refuses response_format for GPT image models with the OpenAI error shape', async () => {
    const { status, json } = await post({ model: 'gpt-image-1.5', prompt, response_format: 'b64_json' });
    expect(status).toBe(400);
    expect(json).toEqual({
      error: {
        message: "Unknown parameter: 'response_format'.",
        type: 'invalid_request_error',
        param: 'response_format',
        code: 'unknown_parameter',
      },
    });
  });

  it('can be told to ignore response_format instead (the real behaviour is unconfirmed)', async () => {
    const lenient = await startFakeOpenAIServer({ gptImageResponseFormat: 'ignore' });
    try {
      const response = await fetch(`${lenient.baseURL}/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${FAKE_OPENAI_API_KEY}` },
        body: JSON.stringify({ model: 'gpt-image-2', prompt, size: '32x32', response_format: 'url' }),
      });
      const json = (await response.json()) as { data: Array<{ b64_json?: string; url?: string }> };
      expect(response.status).toBe(200);
      expect(json.data[0]!.b64_json).toBeTypeOf('string');
      expect(json.data[0]!.url).toBeUndefined();
    } finally {
      await lenient.close();
    }
  });

  it.each([
    ['1280x720', 200],
    ['48x16', 200],
    ['64x16', 400],
    ['1000x1000', 400],
    ['4000x1024', 400],
    ['2896x2896', 400],
    ['auto', 200],
    ['1536x1024', 200],
  ])('gpt-image-2 size %s -> %d', async (size, expected) => {
    const { status, json } = await post({ model: 'gpt-image-2', prompt, size, quality: 'low' });
    expect(status).toBe(expected);
    if (expected === 400) expect(json.error).toMatchObject({ param: 'size', code: 'invalid_size' });
    else {
      const [width, height] = (size === 'auto' ? '1024x1024' : size).split('x').map(Number);
      const bytes = Buffer.from(json.data[0].b64_json, 'base64');
      expect(sniffImage(bytes)).toEqual({ mediaType: 'image/png', width, height });
      expect(json.size).toBe(`${width}x${height}`);
    }
  });

  it('dall-e-3: n must be 1, sizes, qualities and styles are checked', async () => {
    expect((await post({ model: 'dall-e-3', prompt, n: 2 })).json.error).toMatchObject({
      param: 'n',
      message: 'You must provide n=1 for this model.',
    });
    expect((await post({ model: 'dall-e-3', prompt, size: '256x256' })).json.error).toEqual({
      message: expect.stringContaining('The size is not supported by this model.'),
      type: 'invalid_request_error',
      param: 'size',
      code: 'invalid_size',
    });
    expect((await post({ model: 'dall-e-3', prompt, quality: 'high' })).json.error).toMatchObject({
      param: 'quality',
    });
    expect((await post({ model: 'dall-e-3', prompt, style: 'sepia' })).json.error).toMatchObject({
      param: 'style',
    });
    expect((await post({ model: 'gpt-image-1.5', prompt, style: 'vivid' })).json.error).toMatchObject({
      param: 'style',
    });
    expect((await post({ model: 'dall-e-2', prompt, output_format: 'png' })).json.error).toMatchObject({
      param: 'output_format',
    });
  });

  it('GPT image: compression only with jpeg/webp, transparent never with jpeg', async () => {
    expect((await post({ model: 'gpt-image-1.5', prompt, output_compression: 50 })).json.error).toMatchObject(
      {
        param: 'output_compression',
      },
    );
    expect(
      (await post({ model: 'gpt-image-1.5', prompt, output_format: 'jpeg', background: 'transparent' })).json
        .error,
    ).toMatchObject({ param: 'background' });
  });

  it.each([
    ['dall-e-2', 1000],
    ['dall-e-3', 4000],
    ['gpt-image-2', 32000],
  ])('%s prompt limit %d characters', async (model, limit) => {
    const { status, json } = await post({
      model,
      prompt: 'x'.repeat(limit + 1),
      size: model === 'gpt-image-2' ? '32x32' : undefined,
    });
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ param: 'prompt', code: 'string_above_max_length' });
  });

  it('unknown and unavailable models are 404 model_not_found; unknown fields are refused', async () => {
    const unknown = await post({ model: 'dall-e-4', prompt });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({
      code: 'model_not_found',
      message: expect.stringContaining('dall-e-4'),
    });
    expect((await post({ model: 'gpt-image-1', prompt })).status).toBe(404);
    expect((await post({ model: 'dall-e-2', prompt, seed: 3 })).json.error).toMatchObject({
      param: 'seed',
      code: 'unknown_parameter',
    });
  });

  it('checks the bearer key, echoing it only masked', async () => {
    const missing = await post({ model: 'dall-e-2', prompt }, { headers: { authorization: '' } });
    expect(missing.status).toBe(401);
    const wrong = await post(
      { model: 'dall-e-2', prompt },
      { headers: { authorization: 'Bearer sk-someone-else-1234567890' } },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('invalid_api_key');
    expect(wrong.json.error.message).toContain('sk-***');
    expect(wrong.json.error.message).not.toContain('someone-else');
  });
});

describe('fake OpenAI server: answers', () => {
  it('DALL·E answers with a downloadable url by default; no model means dall-e-2', async () => {
    const { status, json } = await post({ prompt, size: '256x256' });
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(['created', 'data']);
    const url: string = json.data[0].url;
    expect(url.startsWith(`${server.url}/fake-files/`)).toBe(true);
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(sniffImage(bytes)).toEqual({ mediaType: 'image/png', width: 256, height: 256 });
  });

  it('a GPT-only field without a model picks a GPT image model', async () => {
    const { json } = await post({ prompt, output_format: 'webp', quality: 'low', size: '1024x1024' });
    expect(json.output_format).toBe('webp');
    expect(json.usage).toBeDefined();
  });

  it('dall-e-3 revises prompts (not behind the no-rewrite prefix); GPT image models report usage and echo settings', async () => {
    const d3 = await post({ model: 'dall-e-3', prompt, response_format: 'b64_json' });
    expect(d3.json.data[0].revised_prompt).toMatch(/^a teapot, rendered/);
    expect(d3.json.usage).toBeUndefined();
    const gpt = await post({
      model: 'gpt-image-2',
      prompt,
      size: '32x48',
      quality: 'high',
      output_format: 'jpeg',
      output_compression: 70,
      background: 'opaque',
    });
    expect(gpt.json).toMatchObject({
      size: '32x48',
      quality: 'high',
      output_format: 'jpeg',
      background: 'opaque',
    });
    expect(gpt.json.usage).toMatchObject({ input_tokens: 2, output_tokens: 7, total_tokens: 9 });
    expect(gpt.json.data[0].revised_prompt).toBeUndefined();
    expect(sniffImage(Buffer.from(gpt.json.data[0].b64_json, 'base64'))).toEqual({
      mediaType: 'image/jpeg',
      width: 32,
      height: 48,
    });
  });

  it('scenarios apply in order, one request each, with the documented headers', async () => {
    server.enqueue(
      { type: 'rate_limited', retryAfterMs: '1500', resetRequests: '1s' },
      { type: 'server_error', status: 503, shouldRetry: true },
    );
    expect(server.pendingScenarios()).toBe(2);
    const limited = await post({ model: 'dall-e-2', prompt });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('1500');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(limited.json.error.code).toBe('rate_limit_exceeded');
    const failed = await post({ model: 'dall-e-2', prompt });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-should-retry')).toBe('true');
    expect(failed.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await post({ model: 'dall-e-2', prompt, size: '256x256' })).status).toBe(200);
    expect(server.pendingScenarios()).toBe(0);
  });

  it('Azure: api-key, api-version and deployment are checked', async () => {
    const path = '/openai/deployments/d3/images/generations';
    const ok = await post(
      { prompt, response_format: 'b64_json' },
      {
        path: `${path}?api-version=2024-10-21`,
        headers: { authorization: '', 'api-key': FAKE_OPENAI_API_KEY },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('apim-request-id')).toBeTruthy();
    const noVersion = await post({ prompt }, { path, headers: { 'api-key': FAKE_OPENAI_API_KEY } });
    expect(noVersion.status).toBe(404);
    const noKey = await post({ prompt }, { path: `${path}?api-version=2024-10-21` });
    expect(noKey.status).toBe(401);
    const noDeployment = await post(
      { prompt },
      {
        path: '/openai/deployments/other/images/generations?api-version=2024-10-21',
        headers: { 'api-key': FAKE_OPENAI_API_KEY },
      },
    );
    expect(noDeployment.json.error.code).toBe('DeploymentNotFound');
  });

  it('serves moderations', async () => {
    const { json } = await post(
      { model: 'omni-moderation-latest', input: ['fine', 'flag:hate'] },
      { path: '/v1/moderations' },
    );
    expect(json.results.map((result: { flagged: boolean }) => result.flagged)).toEqual([false, true]);
    expect(json.results[1].categories.hate).toBe(true);
  });

  it('close() ends pending slow answers instead of waiting for them', async () => {
    const slow = await startFakeOpenAIServer();
    slow.enqueue({ type: 'slow', delayMs: 60_000 });
    const pending = fetch(`${slow.baseURL}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAKE_OPENAI_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dall-e-2', prompt }),
    }).then(
      () => 'answered',
      () => 'dropped',
    );
    await vi.waitFor(() => expect(slow.requests).toHaveLength(1));
    await slow.close();
    expect(await pending).toBe('dropped');
  });
});

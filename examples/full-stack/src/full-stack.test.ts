import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_FILE_PATTERN, verifyAuditLog } from '@pixelgate/core/audit';
import { sniffImage } from '@pixelgate/core/provider-utils';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MORE_STACK_MODELS, STACK_MODELS, type Stack, startStack } from './stack.ts';

interface NativeImage {
  url?: string;
  b64_json?: string;
  media_type: string;
  width?: number;
  height?: number;
}
interface NativeBody {
  request_id: string;
  model: string;
  provider: string;
  data: NativeImage[];
  warnings: Array<{ type: string; message: string; from?: string; to?: string }>;
}
interface ErrorBody {
  error: { code: string; message: string; param?: string | null; details?: Record<string, unknown> };
}

describe('full-stack example', () => {
  let stack: Stack;
  let client: OpenAI;
  /** Generation requests sent to the stack: each must leave exactly one audit record. */
  let generationRequests = 0;

  beforeAll(async () => {
    stack = await startStack();
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The SDK's generate, counted. */
  const sdkGenerate = (sdk: OpenAI, body: OpenAI.ImageGenerateParamsNonStreaming) => {
    generationRequests++;
    return sdk.images.generate(body);
  };

  /** The native route with plain fetch, counted. */
  const native = async (body: Record<string, unknown>, key = stack.apiKey, prefix = '') => {
    generationRequests++;
    const response = await fetch(`${stack.url}${prefix}/v1/inference/images/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { response, body: (await response.json()) as NativeBody & ErrorBody };
  };

  const download = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
  };

  it('serves the console, the API reference and an OpenAPI document that lists the console routes', async () => {
    expect((await fetch(`${stack.url}/console/`)).headers.get('content-type')).toBe(
      'text/html; charset=utf-8',
    );
    expect((await fetch(`${stack.url}/docs`)).status).toBe(200);
    const document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/console/usage', '/v1/images/generations']),
    );
    const usage = await fetch(`${stack.url}/v1/console/usage`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(usage.status).toBe(200);
  });

  it('generates with OpenAI through the official SDK, as base64', async () => {
    const result = await sdkGenerate(client, {
      model: STACK_MODELS.openai,
      prompt: 'a lighthouse at dusk',
      size: '1024x1024',
      response_format: 'b64_json',
    });
    const b64 = result.data?.[0]?.b64_json;
    expect(b64).toBeTruthy();
    expect(sniffImage(Buffer.from(b64!, 'base64'))).toMatchObject({
      mediaType: 'image/png',
      width: 1024,
      height: 1024,
    });
    expect(stack.fakes.openai.requests.at(-1)?.body).toMatchObject({ model: 'gpt-image-1.5' });
  });

  it('generates with Stability as a media-proxy URL that serves the stored image from S3', async () => {
    const result = await sdkGenerate(client, {
      model: STACK_MODELS.stability,
      prompt: 'a kite over dunes',
      size: '1024x1024',
      response_format: 'url',
    });
    const url = result.data?.[0]?.url;
    expect(url).toMatch(new RegExp(`^${stack.url}/v1/media/`));
    const { response, bytes } = await download(url!);
    expect(response.status).toBe(200);
    expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 1024, height: 1024 });
  });

  it('generates with Google Gemini as a presigned S3 URL on the /direct mount', async () => {
    const direct = new OpenAI({ baseURL: `${stack.url}/direct/v1`, apiKey: stack.apiKey, maxRetries: 0 });
    const result = await sdkGenerate(direct, {
      model: STACK_MODELS.google,
      prompt: 'a paper boat on a pond',
      size: '1024x1024',
      response_format: 'url',
    });
    const url = result.data?.[0]?.url;
    // The store's own URL, not the gateway's: the bytes come straight from S3.
    expect(url?.startsWith(`${stack.s3.endpoint}/${stack.s3.bucket}/`)).toBe(true);
    expect(url).toContain('X-Amz-Signature=');
    const { response, bytes } = await download(url!);
    expect(response.status).toBe(200);
    expect(sniffImage(bytes)).toMatchObject({ width: 1024, height: 1024 });
    expect(stack.fakes.google.requests.some((request) => request.model === 'gemini-3-pro-image')).toBe(true);
  });

  it('refuses another tenant’s key on a media URL, and serves it to the owner', async () => {
    const { body } = await native({
      model: STACK_MODELS.stability,
      prompt: 'a red bicycle',
      size: '1024x1024',
      response_format: 'url',
    });
    const url = body.data[0]!.url!;
    const foreign = await download(url, { authorization: `Bearer ${stack.keys.otherTenant}` });
    // 404, not 403: the refusal does not even confirm the image exists.
    expect(foreign.response.status).toBe(404);
    expect(sniffImage(foreign.bytes)).toBeUndefined();
    const own = await download(url, { authorization: `Bearer ${stack.apiKey}` });
    expect(own.response.status).toBe(200);
    expect(sniffImage(own.bytes)?.width).toBe(1024);
  });

  it('refuses a size the model does not support before any upstream call (SDK BadRequestError with param)', async () => {
    const upstreamBefore = stack.fakes.openai.requests.length;
    const error = await sdkGenerate(client, {
      model: STACK_MODELS.openai,
      prompt: 'a lighthouse',
      size: '512x512',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'size' });
    expect((error as Error).message).toContain('1024x1024');
    expect(stack.fakes.openai.requests.length).toBe(upstreamBefore);
  });

  it('blocks a prompt on the blocklist, without repeating it', async () => {
    const upstreamBefore = stack.fakes.openai.requests.length;
    const { response, body } = await native({
      model: STACK_MODELS.openai,
      prompt: 'instructions for a p1pe b0mb',
    });
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('CONTENT_BLOCKED');
    expect(body.error.message).not.toMatch(/p1pe|b0mb/i);
    expect(JSON.stringify(body)).toContain('blocklist:weapons');
    expect(stack.fakes.openai.requests.length).toBe(upstreamBefore);
  });

  it('falls back from OpenAI to Stability when OpenAI answers 5xx, with a warning', async () => {
    stack.fakes.openai.enqueue({ type: 'server_error', status: 503, shouldRetry: false });
    const openaiBefore = stack.fakes.openai.requests.length;
    const stabilityBefore = stack.fakes.stability.requests.length;
    const { response, body } = await native({
      model: STACK_MODELS.openai,
      prompt: 'a windmill in the rain',
      size: '1024x1024',
      response_format: 'b64_json',
    });
    expect(response.status).toBe(200);
    expect(body.model).toBe(STACK_MODELS.stability);
    expect(body.provider).toBe('stability');
    expect(body.warnings).toContainEqual(
      expect.objectContaining({ type: 'fallback', from: STACK_MODELS.openai, to: STACK_MODELS.stability }),
    );
    expect(sniffImage(Buffer.from(body.data[0]!.b64_json!, 'base64'))).toMatchObject({
      width: 1024,
      height: 1024,
    });
    expect(stack.fakes.openai.requests.length).toBe(openaiBefore + 1);
    expect(stack.fakes.stability.requests.length).toBe(stabilityBefore + 1);
    expect(stack.fakes.openai.pendingScenarios()).toBe(0);
  });

  it('reports a content-filtered reply as a backend error and withholds the image', async () => {
    stack.fakes.stability.enqueue('content_filtered');
    const { response, body } = await native({
      model: STACK_MODELS.stability,
      prompt: 'a crowded market',
      size: '1024x1024',
    });
    expect(response.status).toBe(422);
    expect(body.error.code).toBe('BACKEND_ERROR');
    expect(body.error.details).toMatchObject({ reason: 'content_filtered' });
    expect(body.data).toBeUndefined();
  });

  it('surfaces an OpenAI moderation block to the SDK as content_policy_violation, without falling back', async () => {
    stack.fakes.openai.enqueue({ type: 'moderation_blocked', categories: ['violence'] });
    const stabilityBefore = stack.fakes.stability.requests.length;
    const error = await sdkGenerate(client, {
      model: STACK_MODELS.openai,
      prompt: 'a medieval battle scene',
      size: '1024x1024',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(error).toMatchObject({ status: 422, code: 'content_policy_violation' });
    // A safety refusal is final: the fallback model is not asked to draw it instead.
    expect(stack.fakes.stability.requests.length).toBe(stabilityBefore);
  });

  it('retries a retryable 5xx on the same model before any fallback', async () => {
    stack.fakes.openai.enqueue({ type: 'server_error' });
    const openaiBefore = stack.fakes.openai.requests.length;
    const { response, body } = await native({
      model: STACK_MODELS.openai,
      prompt: 'a lantern in the snow',
      size: '1024x1024',
    });
    expect(response.status).toBe(200);
    expect(body.model).toBe(STACK_MODELS.openai);
    expect(body.warnings.map((warning) => warning.type)).not.toContain('fallback');
    expect(stack.fakes.openai.requests.length).toBe(openaiBefore + 2);
  });

  it('serves concurrent requests from two tenants across the three providers', async () => {
    const models = Object.values(STACK_MODELS);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        native(
          { model: models[index % 3], prompt: `a tile pattern number ${index}`, size: '1024x1024' },
          index % 2 === 0 ? stack.apiKey : stack.keys.otherTenant,
        ),
      ),
    );
    expect(results.map(({ response }) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(results.map(({ body }) => body.request_id)).size).toBe(6);
    expect(results.map(({ body }) => body.model)).toEqual([...models, ...models]);
  });

  it('routes to BFL (submit and poll), fal (queue) and Bedrock (SigV4 InvokeModel)', async () => {
    const results = await Promise.all(
      Object.values(MORE_STACK_MODELS).map((model) =>
        native({ model, prompt: 'a lighthouse at dusk', size: '1024x1024', response_format: 'b64_json' }),
      ),
    );
    expect(results.map(({ response }) => response.status)).toEqual([200, 200, 200]);
    for (const { body } of results) {
      const bytes = Buffer.from(body.data[0]!.b64_json!, 'base64');
      expect(sniffImage(bytes)).toMatchObject({ width: 1024, height: 1024 });
    }
    // The BFL and fal result images came from their CDN hosts, without the key.
    expect(stack.fakes.bfl.requests.filter((request) => request.server === 'cdn')).toHaveLength(1);
    expect(stack.fakes.fal.requests.filter((request) => request.server === 'cdn')).toHaveLength(1);
    expect(stack.fakes.bedrock.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('refuses with 402 BUDGET_EXCEEDED once the trial tenant’s budget is spent', async () => {
    const request = { model: STACK_MODELS.stability, prompt: 'a teapot', size: '1024x1024' };
    const first = await native(request, stack.keys.trial);
    expect(first.response.status).toBe(200);
    const second = await native(request, stack.keys.trial);
    expect(second.response.status).toBe(402);
    expect(second.body.error.code).toBe('BUDGET_EXCEEDED');
    // The main tenant's own budget is untouched.
    expect((await native(request)).response.status).toBe(200);
  });

  it('rate-limits the intern user to 2 requests a minute with 429 and Retry-After', async () => {
    const request = { model: STACK_MODELS.stability, prompt: 'a snail', size: '1024x1024' };
    for (let index = 0; index < 2; index++) {
      const { response } = await native(request, stack.keys.intern);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(String(1 - index));
    }
    const limited = await native(request, stack.keys.intern);
    expect(limited.response.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('leaves a verifiable audit log: one record per request, no base64, no keys', async () => {
    await stack.audit.flush();
    const verification = await verifyAuditLog(stack.audit.dir, { publicKeys: [stack.audit.publicKeyPem] });
    expect(verification.firstBroken).toBeUndefined();
    expect(verification.ok).toBe(true);
    expect(verification.records).toBe(generationRequests);

    const lines: string[] = [];
    const files = (await readdir(stack.audit.dir)).filter((name) => AUDIT_FILE_PATTERN.test(name));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const text = await readFile(join(stack.audit.dir, name), 'utf8');
      lines.push(...text.split('\n').filter(Boolean));
    }
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const data = records.filter((record) => record.type !== 'checkpoint');
    expect(data).toHaveLength(generationRequests);
    expect(new Set(data.map((record) => record.requestId)).size).toBe(generationRequests);
    // Failures are recorded too, each with the code the caller saw.
    const codes = data.map(
      (record) => (record.error as { code?: string } | undefined)?.code ?? record.outcome,
    );
    expect(new Set(codes)).toEqual(
      new Set([
        'success',
        'VALIDATION_ERROR',
        'CONTENT_BLOCKED',
        'BACKEND_ERROR',
        'BUDGET_EXCEEDED',
        'RATE_LIMITED',
      ]),
    );
    const filtered = data.filter(
      (record) => (record.error as { code?: string } | undefined)?.code === 'BACKEND_ERROR',
    );
    expect(filtered).toHaveLength(2);
    for (const record of filtered) {
      expect(record).toMatchObject({ outcome: 'blocked', error: { reason: 'content_filtered' } });
    }
    for (const line of lines) {
      expect(line).not.toMatch(/[A-Za-z0-9+/]{100,}/);
      for (const secret of stack.secrets) expect(line).not.toContain(secret);
    }
  });
});

import { createSign } from 'node:crypto';
import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeImagenServer, startFakeImagenServer } from './fake-imagen-server.ts';

let server: FakeImagenServer;
const token = 'ya29.fake-static-token-for-raw-tests';
beforeAll(async () => {
  server = await startFakeImagenServer({ staticAccessTokens: [token] });
});
afterAll(async () => {
  await server.close();
});

const geminiPredict = (model: string, body: unknown, key: string | null = server.apiKey) =>
  fetch(`${server.url}/v1beta/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-goog-api-key': key } : {}) },
    body: JSON.stringify(body),
  });
const vertexCall = (model: string, method: string, body: unknown, location = 'us-central1', bearer = token) =>
  fetch(
    `${server.url}/v1beta1/projects/p/locations/${location}/publishers/google/models/${model}:${method}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    },
  );
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: number; status: string; message: string } }).error;

describe('fake Google server: Imagen :predict', () => {
  it('answers predictions with real images of the ratio size', async () => {
    const response = await geminiPredict('imagen-4.0-generate-001', {
      instances: [{ prompt: 'x' }],
      parameters: { sampleCount: 2, aspectRatio: '9:16' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      predictions: Array<{ bytesBase64Encoded: string; mimeType: string }>;
    };
    expect(body.predictions).toHaveLength(2);
    expect(sniffImage(Buffer.from(body.predictions[0]!.bytesBase64Encoded, 'base64'))).toEqual({
      mediaType: 'image/png',
      width: 768,
      height: 1408,
    });
  });

  it.each([
    [{ sampleCount: 5 }, /sampleCount must be between 1 and 4/],
    [{ sampleCount: 0 }, /sampleCount/],
    [{ aspectRatio: '2:1' }, /Unsupported aspect ratio 2:1/],
    [{ sampleImageSize: '2K' }, /sampleImageSize 2K is not supported by imagen-4.0-fast-generate-001/],
    [{ negativePrompt: 'x' }, /negativePrompt is not supported in the Gemini API/],
    [{ seed: 1 }, /seed is not supported in the Gemini API/],
    [{ addWatermark: false }, /addWatermark is not supported in the Gemini API/],
    [{ enhancePrompt: true }, /enhancePrompt is not supported in the Gemini API/],
    [{ personGeneration: 'everyone' }, /Invalid personGeneration/],
  ])('refuses %o with 400 INVALID_ARGUMENT', async (parameters, message) => {
    const response = await geminiPredict('imagen-4.0-fast-generate-001', {
      instances: [{ prompt: 'x' }],
      parameters,
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('checks the API key the way the Gemini API does', async () => {
    const missing = await geminiPredict('imagen-4.0-generate-001', { instances: [{ prompt: 'x' }] }, null);
    expect(missing.status).toBe(403);
    const wrong = await geminiPredict(
      'imagen-4.0-generate-001',
      { instances: [{ prompt: 'x' }] },
      'AIza-wrong',
    );
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(await wrong.json())).toContain('API_KEY_INVALID');
    const query = await fetch(
      `${server.url}/v1beta/models/imagen-4.0-generate-001:predict?key=${server.apiKey}`,
      {
        method: 'POST',
        body: JSON.stringify({ instances: [{ prompt: 'x' }] }),
      },
    );
    expect(query.status).toBe(200);
  });

  it('checks bearer tokens on Vertex and refuses seed with the watermark on', async () => {
    const bad = await vertexCall(
      'imagen-4.0-generate-001',
      'predict',
      { instances: [{ prompt: 'x' }] },
      'us-central1',
      'ya29.nope',
    );
    expect(bad.status).toBe(401);
    expect((await errorOf(bad)).status).toBe('UNAUTHENTICATED');
    const seeded = await vertexCall('imagen-4.0-generate-001', 'predict', {
      instances: [{ prompt: 'x' }],
      parameters: { seed: 3 },
    });
    expect(seeded.status).toBe(400);
    const unwatermarked = await vertexCall('imagen-4.0-generate-001', 'predict', {
      instances: [{ prompt: 'x' }],
      parameters: { seed: 3, addWatermark: false },
    });
    expect(unwatermarked.status).toBe(200);
  });

  it('without includeRaiReason, filtered images simply go missing', async () => {
    server.enqueue({ type: 'filter', count: 1 });
    const partial = (await (
      await geminiPredict('imagen-4.0-generate-001', {
        instances: [{ prompt: 'x' }],
        parameters: { sampleCount: 3 },
      })
    ).json()) as {
      predictions: unknown[];
    };
    expect(partial.predictions).toHaveLength(2);
    server.enqueue('content_filtered');
    const all = await (
      await geminiPredict('imagen-4.0-generate-001', {
        instances: [{ prompt: 'x' }],
        parameters: { sampleCount: 2 },
      })
    ).json();
    expect(all).toEqual({});
  });

  it('answers unknown and shut-down models with 404 NOT_FOUND', async () => {
    const unknown = await geminiPredict('imagen-9.9', { instances: [{ prompt: 'x' }] });
    expect(unknown.status).toBe(404);
    const wrongRoute = await geminiPredict('imagen-3.0-fast-generate-001', { instances: [{ prompt: 'x' }] });
    expect(wrongRoute.status).toBe(404);
    const retired = await fetch(`${server.url}/v1beta/models/gemini-3-pro-image-preview:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': server.apiKey },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
    });
    expect(retired.status).toBe(404);
  });
});

describe('fake Google server: generateContent', () => {
  const generate = (model: string, body: unknown) =>
    fetch(`${server.url}/v1beta/models/${model}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': server.apiKey },
      body: JSON.stringify(body),
    });

  it.each([
    [{ candidateCount: 2 }, /Multiple candidates is not enabled/],
    [{ imageConfig: { aspectRatio: '5:1' } }, /Unsupported aspect ratio/],
    [{ imageConfig: { imageSize: '512px' } }, /Unsupported image size/],
    [{ imageConfig: { personGeneration: 'ALLOW_ALL' } }, /not supported in the Gemini API/],
  ])('refuses %o', async (generationConfig, message) => {
    const response = await generate('gemini-3-pro-image', {
      contents: [{ parts: [{ text: 'x' }] }],
      generationConfig,
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(message);
  });

  it('serves global-only models in locations/global only', async () => {
    const body = { contents: [{ parts: [{ text: 'x' }] }] };
    expect((await vertexCall('gemini-3.1-flash-image', 'generateContent', body, 'us-central1')).status).toBe(
      404,
    );
    const ok = await vertexCall('gemini-3.1-flash-image', 'generateContent', body, 'global');
    expect(ok.status).toBe(200);
    const answer = (await ok.json()) as {
      candidates: Array<{
        index?: number;
        content: { parts: Array<{ inlineData?: { mimeType: string }; thoughtSignature?: string }> };
      }>;
    };
    const image = answer.candidates[0]!.content.parts.find((part) => part.inlineData);
    expect(image?.inlineData?.mimeType).toBe('image/jpeg');
    expect(image?.thoughtSignature).toBeDefined();
    expect(answer.candidates[0]!.index).toBeUndefined();
  });

  it('streams with alt=sse: text, then the image whole, then finish reason and usage', async () => {
    const response = await fetch(
      `${server.url}/v1beta/models/gemini-3-pro-image:streamGenerateContent?alt=sse`,
      {
        method: 'POST',
        headers: { 'x-goog-api-key': server.apiKey },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
      },
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text())
      .split('\r\n\r\n')
      .filter((chunk) => chunk.startsWith('data: '))
      .map(
        (chunk) =>
          JSON.parse(chunk.slice(6)) as {
            candidates: Array<{ content: { parts: Array<Record<string, unknown>> }; finishReason?: string }>;
            usageMetadata?: unknown;
          },
      );
    expect(events).toHaveLength(3);
    expect(events[0]!.candidates[0]!.content.parts[0]).toHaveProperty('text');
    expect(events[1]!.candidates[0]!.content.parts[0]).toHaveProperty('inlineData');
    expect(events[2]!.candidates[0]!.finishReason).toBe('STOP');
    expect(events[2]!.usageMetadata).toBeDefined();
  });

  it('leaves text out when only IMAGE is asked for', async () => {
    const response = await generate('gemini-2.5-flash-image', {
      contents: [{ parts: [{ text: 'x' }] }],
      generationConfig: { responseModalities: ['IMAGE'] },
    });
    const answer = (await response.json()) as {
      candidates: Array<{ index: number; content: { parts: Array<{ text?: string }> } }>;
    };
    expect(answer.candidates[0]!.content.parts.some((part) => part.text)).toBe(false);
    expect(answer.candidates[0]!.index).toBe(0);
  });
});

describe('fake Google server: token endpoint', () => {
  const assertion = (
    key: { client_email: string; private_key: string },
    claims: Record<string, unknown> = {},
  ) => {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = encode({ alg: 'RS256', typ: 'JWT' });
    const payload = encode({
      iss: key.client_email,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      aud: server.tokenUri,
      iat: now,
      exp: now + 3600,
      ...claims,
    });
    const signature = createSign('RSA-SHA256')
      .update(`${head}.${payload}`)
      .sign(key.private_key)
      .toString('base64url');
    return `${head}.${payload}.${signature}`;
  };
  const exchange = (jwt: string) =>
    fetch(server.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: jwt,
      }),
    });

  it('issues a bearer token for a correctly signed assertion, which Vertex then accepts', async () => {
    const key = server.createServiceAccountKey();
    const response = await exchange(assertion(key));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    const call = await vertexCall(
      'imagen-4.0-generate-001',
      'predict',
      { instances: [{ prompt: 'x' }] },
      'us-central1',
      body.access_token,
    );
    expect(call.status).toBe(200);
  });

  it.each([
    ['an expired assertion', { exp: 1 }, /short-lived/],
    ['a missing scope', { scope: 'email' }, /scope/i],
    ['a wrong audience', { aud: 'https://example.invalid/token' }, /aud/],
  ])('refuses %s', async (_name, claims, message) => {
    const response = await exchange(assertion(server.createServiceAccountKey(), claims));
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(message);
  });

  it('refuses a signature made with another key', async () => {
    const key = server.createServiceAccountKey();
    const other = server.createServiceAccountKey();
    const response = await exchange(
      assertion({ client_email: key.client_email, private_key: other.private_key }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toBe(
      'Invalid JWT Signature.',
    );
  });
});

describe('fake Google server: lifecycle', () => {
  it('closes while a slow answer is pending', async () => {
    const local = await startFakeImagenServer({ slowMs: 60_000 });
    local.enqueue('slow');
    const pending = fetch(`${local.url}/v1beta/models/imagen-4.0-generate-001:predict`, {
      method: 'POST',
      headers: { 'x-goog-api-key': local.apiKey },
      body: JSON.stringify({ instances: [{ prompt: 'x' }] }),
    }).then(
      () => 'answered',
      () => 'dropped',
    );
    // Wait until the request has reached the server, without timing assumptions.
    for (let index = 0; index < 200 && local.requests.length === 0; index++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(local.requests).toHaveLength(1);
    await local.close();
    expect(await pending).toBe('dropped');
  });
});

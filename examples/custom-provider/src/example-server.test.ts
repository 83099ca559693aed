import { sniffImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from './example-server.ts';

const KEY = 'pg-test-key-acme-0123456789';

describe('the custom-provider example served over HTTP', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample({ env: { PIXELGATE_API_KEY: KEY } });
  });
  afterAll(() => example.close());

  const generate = (body: unknown) =>
    fetch(`${example.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('generates through the plugin, which called the (fake) Acme API', async () => {
    const before = example.fake!.requests.length;
    const response = await generate({ model: 'acme/acme-1', prompt: 'a red anvil', size: '1024x768', n: 2 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ b64_json: string }> };
    expect(body.data.map((item) => sniffImage(Buffer.from(item.b64_json, 'base64')))).toEqual([
      expect.objectContaining({ mediaType: 'image/png', width: 1024, height: 768 }),
      expect.objectContaining({ mediaType: 'image/png', width: 1024, height: 768 }),
    ]);
    expect(example.fake!.requests.length).toBe(before + 1);
  });

  it('lists the plugin’s models with their declared capabilities', async () => {
    const response = await fetch(`${example.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    const ids = ((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['acme/acme-1', 'acme/acme-1-turbo']));
  });

  it('refuses sizes Acme does not make before calling it, listing the accepted ones', async () => {
    const before = example.fake!.requests.length;
    const response = await generate({ model: 'acme/acme-1', prompt: 'x', size: '1536x1024' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { param: string; message: string } };
    expect(error.param).toBe('size');
    expect(error.message).toContain('1024x768');
    expect(example.fake!.requests.length).toBe(before);
  });

  it('surfaces Acme’s safety refusal as OpenAI’s content_policy_violation', async () => {
    example.fake!.scenario('content_filtered');
    const response = await generate({ model: 'acme/acme-1', prompt: 'something refused' });
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { code: string } };
    expect(error.code).toBe('content_policy_violation');
  });
});

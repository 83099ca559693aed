import { createMockImageProvider } from '@pixelgate/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from './example-server.ts';

const KEY = 'pg-test-key-guardrail-0123456789';

describe('the custom-guardrail example served over HTTP', () => {
  const provider = createMockImageProvider({
    id: 'local',
    models: [
      {
        id: 'placeholder',
        provider: 'local',
        capabilities: { sizes: ['256x256'], maxImagesPerCall: 4, maxPromptLength: 4000 },
      },
    ],
  });
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample({ env: { PIXELGATE_API_KEY: KEY }, providers: [provider] });
  });
  afterAll(() => example.close());

  const post = (path: string, body: unknown) =>
    fetch(`${example.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('redacts a protected brand: the provider gets the neutral prompt, the caller sees the label', async () => {
    const response = await post('/v1/inference/images/generate', {
      prompt: 'an Acme anvil',
      size: '256x256',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { labels: string[] };
    expect(body.labels).toContain('trademark:acme');
    expect(provider.calls.at(-1)?.call.prompt).toBe('an a generic hardware company anvil');
  });

  it('blocks a forbidden brand with OpenAI’s content_policy_violation, without calling the provider', async () => {
    const calls = provider.calls.length;
    const response = await post('/v1/images/generations', { prompt: 'the Initech office' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('content_policy_violation');
    expect(error.message).not.toMatch(/office/);
    expect(provider.calls.length).toBe(calls);
  });

  it('still runs pixelgate’s built-in guardrails before it (PII is masked first)', async () => {
    const response = await post('/v1/inference/images/generate', {
      prompt: 'Acme poster for jane.doe@example.com',
      size: '256x256',
    });
    expect(response.status).toBe(200);
    const sent = provider.calls.at(-1)?.call.prompt ?? '';
    expect(sent).not.toContain('jane.doe@example.com');
    expect(sent).toContain('a generic hardware company poster');
  });
});

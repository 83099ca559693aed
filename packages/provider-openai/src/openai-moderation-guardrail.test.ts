import { type GuardrailInput, guardrailVerdictSchema, modelDescriptorSchema } from '@pixelgate/core/spec';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSecret, rejection } from './openai.test-helpers.ts';
import {
  createOpenAIModerationGuardrail,
  moderationLabel,
  type OpenAIModerationGuardrailSettings,
} from './openai-moderation-guardrail.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({ moderationKeywords: { violence: ['crowbar'] } });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const model = modelDescriptorSchema.parse({
  id: 'gpt-image-1.5',
  provider: 'openai',
  capabilities: { sizes: ['1024x1024'], maxImagesPerCall: 1, maxPromptLength: 32000 },
});

function input(prompt: string): GuardrailInput {
  return { stage: 'input', prompt, model, tenant: { tenantId: 't1' }, requestId: 'req_1' };
}

function guardrail(settings: OpenAIModerationGuardrailSettings = {}) {
  return createOpenAIModerationGuardrail({
    apiKey: FAKE_OPENAI_API_KEY,
    baseURL: server.baseURL,
    ...settings,
  });
}

const check = async (prompt: string, settings?: OpenAIModerationGuardrailSettings) =>
  guardrail(settings).check(input(prompt), { signal: new AbortController().signal });

describe('OpenAI moderation guardrail', () => {
  it('is an input guardrail that fails closed by default and carries its timeout', () => {
    const plain = guardrail();
    expect(plain).toMatchObject({ id: 'openai-moderation', stage: 'input', failMode: 'closed' });
    expect(plain.timeoutMs).toBeUndefined();
    expect(guardrail({ failMode: 'open', timeoutMs: 1500, id: 'mod' })).toMatchObject({
      id: 'mod',
      failMode: 'open',
      timeoutMs: 1500,
    });
  });

  it('allows a clean prompt, sending it to omni-moderation-latest with the key', async () => {
    const verdict = await check('a quiet harbour at dawn');
    expect(verdict).toEqual({ action: 'allow', labels: [] });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.url).toBe('/v1/moderations');
    expect(server.requests[0]!.body).toEqual({
      model: 'omni-moderation-latest',
      input: 'a quiet harbour at dawn',
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_API_KEY}`);
  });

  it('blocks a flagged prompt with moderation:<category> labels and a reason without the prompt', async () => {
    const verdict = guardrailVerdictSchema.parse(
      await check('hit him with a crowbar and flag:self-harm/intent'),
    );
    expect(verdict.action).toBe('block');
    // The fake flags the parent category too, as the real endpoint does.
    expect(verdict.labels).toEqual([
      'moderation:self-harm',
      'moderation:self-harm:intent',
      'moderation:violence',
    ]);
    expect(verdict.reason).toBe(
      'The prompt was flagged by moderation: self-harm, self-harm/intent, violence.',
    );
    expect(verdict.reason).not.toContain('crowbar');
    expect(verdict.score).toBeCloseTo(0.93);
  });

  it('per category: flag lets the prompt through with labels, ignore drops the category', async () => {
    const flagged = await check('a crowbar', { categories: { violence: 'flag' } });
    expect(flagged).toMatchObject({ action: 'flag', labels: ['moderation:violence'] });
    expect(flagged.reason).toContain('violence');
    expect(await check('a crowbar', { categories: { violence: 'ignore' } })).toEqual({
      action: 'allow',
      labels: [],
    });
    const mixed = await check('a crowbar, flag:hate', { categories: { violence: 'flag' } });
    expect(mixed).toMatchObject({ action: 'block', labels: ['moderation:hate', 'moderation:violence'] });
    expect(mixed.reason).toBe('The prompt was flagged by moderation: hate.');
    expect(await check('flag:hate', { defaultAction: 'flag' })).toMatchObject({ action: 'flag' });
  });

  it('sends no request for an empty prompt', async () => {
    expect(await check('   ')).toEqual({ action: 'allow', labels: [] });
    expect(server.requests).toHaveLength(0);
  });

  it('moderates long prompts in overlapping chunks, so nothing past the first chunk escapes', async () => {
    const prompt = `${'calm sea, '.repeat(2000)}flag:violence`;
    const verdict = await check(prompt);
    expect(verdict.action).toBe('block');
    const body = server.requests[0]!.body as { input: string[] };
    expect(Array.isArray(body.input)).toBe(true);
    expect(body.input.length).toBe(3);
    expect(body.input.every((chunk) => chunk.length <= 8000)).toBe(true);
  });

  it('sees a flagged phrase cut by a chunk boundary', async () => {
    const prompt = `${'x'.repeat(7995)}flag:violence${'y'.repeat(100)}`;
    expect((await check(prompt)).action).toBe('block');
    const body = server.requests[0]!.body as { input: string[] };
    expect(body.input[0]!.includes('flag:violence')).toBe(false);
  });

  it('a refused key is upstream_auth without the key', async () => {
    const wrongKey = 'sk-wrong-moderation-key-123456';
    const error = await rejection(check('hello', { apiKey: wrongKey }));
    expect(error).toMatchObject({ reason: 'upstream_auth', retryable: false });
    expectNoSecret(error, wrongKey);
  });

  it('upstream failures and garbage are BackendErrors, so the fail mode decides', async () => {
    server.enqueue({ type: 'server_error', status: 503 });
    expect(await rejection(check('hello'))).toMatchObject({
      reason: 'upstream_unavailable',
      retryable: true,
    });
    server.enqueue({ type: 'garbage' });
    expect(await rejection(check('hello'))).toMatchObject({ reason: 'malformed_response' });
    server.enqueue({ type: 'error', status: 200, body: { results: [] } });
    expect(await rejection(check('hello'))).toMatchObject({ reason: 'malformed_response' });
  });

  it('honours the abort signal', async () => {
    server.enqueue({ type: 'slow', delayMs: 10_000 });
    const controller = new AbortController();
    const pending = guardrail().check(input('hello'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect((await rejection(Promise.resolve(pending))).code).toBe('ABORTED');
  });

  it('labels keep to category:detail words', () => {
    expect(moderationLabel('violence/graphic')).toBe('moderation:violence:graphic');
    expect(moderationLabel('Self Harm')).toBe('moderation:self_harm');
  });
});

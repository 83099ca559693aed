import { sniffImage } from '@pixelgate/core/provider-utils';
import { describe, expect, it } from 'vitest';
import { callFor, contextFor, rejection } from './openai.test-helpers.ts';
import { createOpenAIModerationGuardrail } from './openai-moderation-guardrail.ts';
import { createOpenAIProvider } from './openai-provider.ts';

/**
 * Against the real API, only when OPENAI_API_KEY is set (run with `npm run test:live`). It spends
 * about one low-quality image (~$0.01): the point is to catch drift between the reference, the
 * fake server and the real service.
 */
const apiKey = process.env.OPENAI_API_KEY;

describe.skipIf(!apiKey)('OpenAI live', () => {
  it('generates one low-quality gpt-image-1.5 image with usage', async () => {
    const openai = createOpenAIProvider({ apiKey, timeoutMs: 180_000 });
    const result = await openai.generate(
      callFor(openai, 'gpt-image-1.5', {
        size: '1024x1024',
        quality: 'low',
        outputFormat: 'jpeg',
        outputCompression: 60,
      }),
      contextFor(),
    );
    expect(result.images).toHaveLength(1);
    expect(sniffImage(result.images[0]!.bytes)).toEqual({
      mediaType: 'image/jpeg',
      width: 1024,
      height: 1024,
    });
    expect(result.usage?.outputImageTokens).toBeGreaterThan(0);
    expect(result.response?.upstreamRequestId).toBeTruthy();
  }, 200_000);

  it('maps a wrong key to upstream_auth without echoing it', async () => {
    const wrong = 'sk-proj-pixelgate-live-test-wrong-key-000000';
    const openai = createOpenAIProvider({ apiKey: wrong });
    const error = await rejection(openai.generate(callFor(openai, 'gpt-image-1.5'), contextFor()));
    expect(error).toMatchObject({ reason: 'upstream_auth', retryable: false });
    expect(error.message).not.toContain('0000');
  });

  it('moderates a prompt', async () => {
    const guardrail = createOpenAIModerationGuardrail({ apiKey });
    const verdict = await guardrail.check(
      {
        stage: 'input',
        prompt: 'a watercolour of a quiet harbour at dawn',
        model: callFor(createOpenAIProvider({ apiKey }), 'gpt-image-1.5').model,
        tenant: { tenantId: 'live' },
        requestId: 'req_live',
      },
      { signal: AbortSignal.timeout(30_000) },
    );
    expect(verdict.action).toBe('allow');
  }, 40_000);
});

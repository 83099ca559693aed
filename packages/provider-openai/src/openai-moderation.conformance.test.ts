import { describeGuardrailConformance } from '@pixelgate/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createOpenAIModerationGuardrail } from './openai-moderation-guardrail.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './testing/index.ts';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer({
    moderationKeywords: { violence: ['crowbar'], 'self-harm/intent': ['cut myself'] },
  });
});
afterAll(async () => {
  await server.close();
});

describeGuardrailConformance({
  name: 'openai-moderation',
  create: () =>
    createOpenAIModerationGuardrail({
      apiKey: FAKE_OPENAI_API_KEY,
      baseURL: server.baseURL,
      categories: { violence: 'flag' },
      timeoutMs: 5000,
    }),
  samples: [
    'a quiet harbour at dawn',
    'a man swinging a crowbar',
    'I want to cut myself',
    'flag:hate and flag:sexual/minors',
  ],
  sensitive: ['crowbar', 'cut myself'],
});

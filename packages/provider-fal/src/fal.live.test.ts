import { sniffImage } from '@pixelgate/core/provider-utils';
import { testCallContext } from '@pixelgate/core/testing';
import { describe, expect, it } from 'vitest';
import { callFor } from './fal.test-helpers.ts';
import { createFalProvider } from './fal-provider.ts';

const key = process.env.FAL_KEY;

/**
 * Against the real API, only when FAL_KEY is set (`npm run test:live`). Spends one FLUX schnell
 * image (sync) and one FLUX dev image (queue), about $0.03. Prints the hosts contacted, which the
 * UNCONFIRMED result-host defaults depend on.
 */
describe.skipIf(!key)('fal live', () => {
  for (const modelId of ['fal-ai/flux/schnell', 'fal-ai/flux/dev']) {
    it(`generates one image with ${modelId}`, async () => {
      const seen: string[] = [];
      const provider = createFalProvider({
        apiKey: key!,
        fetch: (input, init) => {
          seen.push(new URL(String(input instanceof Request ? input.url : input)).host);
          return globalThis.fetch(input, init);
        },
      });
      const call = callFor(provider, modelId, { size: '1024x768', outputFormat: 'jpeg' });
      const result = await provider.generate(call, testCallContext({ signal: AbortSignal.timeout(150_000) }));
      expect(sniffImage(result.images[0]!.bytes)?.mediaType).toBe('image/jpeg');
      console.info(modelId, 'hosts contacted', [...new Set(seen)]);
    });
  }
});

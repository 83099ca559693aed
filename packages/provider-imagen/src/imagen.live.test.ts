import { sniffImage } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { describe, expect, it } from 'vitest';
import { contextFor } from './imagen.test-helpers.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';

/**
 * Against Google's real APIs; costs money. Run with `npm run test:live` and GEMINI_API_KEY (or
 * GOOGLE_API_KEY) for the Gemini API, GOOGLE_CLOUD_PROJECT plus application default credentials
 * for Vertex AI. Model ids can be overridden, since Google retires them often.
 */
const geminiKey = process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
const project = process.env.GOOGLE_CLOUD_PROJECT;
const geminiModel = process.env.PIXELGATE_LIVE_GEMINI_IMAGE_MODEL ?? 'gemini-3-pro-image';

function call(provider: ReturnType<typeof createGoogleImageProvider>, id: string) {
  const input = provider.models.find((model) => model.id === id);
  if (!input) throw new Error(`${id} is not in the catalog`);
  const model = modelDescriptorSchema.parse({ ...input, lifecycle: { status: 'active' } });
  return {
    model,
    prompt: 'a small red lighthouse on a rock, watercolour',
    n: 1,
    aspectRatio: '1:1',
    size: model.capabilities.aspectRatios['1:1'],
    operation: 'generate' as const,
    providerOptions: {},
  };
}

describe.skipIf(!geminiKey)('Gemini API (live)', () => {
  it(`generates one image with ${geminiModel}`, async () => {
    const provider = createGoogleImageProvider({ api: 'gemini' });
    const result = await provider.generate(
      call(provider, geminiModel),
      contextFor({ signal: AbortSignal.timeout(170_000) }),
    );
    expect(result.images).toHaveLength(1);
    expect(sniffImage(result.images[0]!.bytes)?.mediaType).toBe(result.images[0]!.mediaType);
  });
});

describe.skipIf(!project)('Vertex AI (live)', () => {
  it(`generates one image with ${geminiModel}`, async () => {
    const provider = createGoogleImageProvider({ api: 'vertex', project });
    const result = await provider.generate(
      call(provider, geminiModel),
      contextFor({ signal: AbortSignal.timeout(170_000) }),
    );
    expect(result.images).toHaveLength(1);
  });
});

import { sniffImage } from '@pixelgate/core/provider-utils';
import { testCallContext } from '@pixelgate/core/testing';
import { describe, expect, it } from 'vitest';
import { callFor } from './bfl.test-helpers.ts';
import { createBflProvider } from './bfl-provider.ts';

const key = process.env.BFL_API_KEY;

/**
 * Against the real API, only when BFL_API_KEY is set (`npm run test:live`). Spends one FLUX dev
 * image (about $0.025). Also prints what the docs leave UNCONFIRMED: the polling and result hosts.
 */
describe.skipIf(!key)('Black Forest Labs live', () => {
  it('generates one FLUX dev image through submit and poll', async () => {
    const seen: string[] = [];
    const provider = createBflProvider({
      apiKey: key!,
      fetch: (input, init) => {
        seen.push(new URL(String(input instanceof Request ? input.url : input)).host);
        return globalThis.fetch(input, init);
      },
    });
    const call = callFor(provider, 'flux-dev', { size: '768x512', outputFormat: 'jpeg', seed: 7 });
    const result = await provider.generate(call, testCallContext({ signal: AbortSignal.timeout(150_000) }));
    const sniffed = sniffImage(result.images[0]!.bytes);
    expect(sniffed?.mediaType).toBe('image/jpeg');
    console.info(
      'hosts contacted',
      [...new Set(seen)],
      'size',
      `${sniffed?.width}x${sniffed?.height}`,
      'cost',
      result.costUsd,
    );
  });
});

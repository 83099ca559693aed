import { sniffImage } from '@pixelgate/core/provider-utils';
import { testCallContext } from '@pixelgate/core/testing';
import { describe, expect, it } from 'vitest';
import { callFor } from './bedrock.test-helpers.ts';
import { createBedrockProvider } from './bedrock-provider.ts';

/** Live only with explicit opt-in: the AWS chain may find credentials on any developer machine. */
const enabled =
  process.env.PIXELGATE_LIVE_BEDROCK === '1' &&
  Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);

/**
 * Against the real Bedrock, only when PIXELGATE_LIVE_BEDROCK=1 and AWS credentials are set
 * (`npm run test:live`). Spends one Nova Canvas standard image (about $0.04) in AWS_REGION
 * (default us-east-1). Prints the request id and the region's model list for the UNCONFIRMED
 * availability defaults.
 */
describe.skipIf(!enabled)('Amazon Bedrock live', () => {
  it('generates one Nova Canvas image', async () => {
    const provider = createBedrockProvider({
      regionAvailability: { 'amazon.nova-canvas-v1:0': [process.env.AWS_REGION ?? 'us-east-1'] },
    });
    const call = callFor(provider, 'amazon.nova-canvas-v1:0', { size: '512x512' });
    const result = await provider.generate(call, testCallContext({ signal: AbortSignal.timeout(120_000) }));
    expect(sniffImage(result.images[0]!.bytes)?.mediaType).toBe('image/png');
    console.info('request id', result.response?.upstreamRequestId, 'cost', result.costUsd);
    await provider.dispose?.();
  });
});

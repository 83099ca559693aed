/**
 * Compares the two v2beta reply formats against the fake server: raw bytes (`accept: image/*`,
 * the default) and base64 JSON. Run: `npm run bench -w @pixelgate/provider-stability`.
 * The fake server shares the process, so the memory figure covers both ends of the exchange.
 */
import { type ProviderCall, silentLogger } from '@pixelgate/core/provider-utils';
import { modelDescriptorSchema } from '@pixelgate/core/spec';
import { createStabilityProvider } from '@pixelgate/provider-stability';
import { startFakeStabilityServer } from '@pixelgate/provider-stability/testing';

const ROUNDS = 30;
const server = await startFakeStabilityServer({ noise: 0.35 });
try {
  for (const responseFormat of ['image', 'json'] as const) {
    const provider = createStabilityProvider({
      apiKey: 'sk-test-stability-fake-key',
      baseURL: server.url,
      responseFormat,
    });
    const model = modelDescriptorSchema.parse(provider.models.find((m) => m.id === 'sd3.5-large'));
    const call: ProviderCall = {
      model,
      prompt: 'bench',
      n: 1,
      aspectRatio: '1:1',
      size: '1024x1024',
      seed: 7,
      outputFormat: 'png',
      operation: 'generate',
      providerOptions: {},
    };
    const context = () => ({
      signal: new AbortController().signal,
      requestId: 'bench',
      callIndex: 0,
      attempt: 0,
      logger: silentLogger,
    });
    await provider.generate(call, context()); // warms the fake server's render cache
    const times: number[] = [];
    let growth = 0;
    let bytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      globalThis.gc?.();
      const before = process.memoryUsage();
      const started = performance.now();
      const result = await provider.generate(call, context());
      times.push(performance.now() - started);
      const after = process.memoryUsage();
      growth = Math.max(growth, after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed);
      bytes = result.images[0]!.bytes.byteLength;
    }
    times.sort((a, b) => a - b);
    console.log(
      `${responseFormat.padEnd(5)} image ${(bytes / 1e6).toFixed(2)} MB  median ${times[Math.floor(ROUNDS / 2)]!.toFixed(1)} ms  ` +
        `p90 ${times[Math.floor(ROUNDS * 0.9)]!.toFixed(1)} ms  peak heap+buffers growth per call ${(growth / 1e6).toFixed(1)} MB`,
    );
  }
} finally {
  await server.close();
}

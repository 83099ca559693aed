// One benchmark case in its own process (so peak RSS belongs to that case alone): calls a provider
// directly, or through gateway.generate() with the full pipeline, against the wire server.
import {
  createGateway,
  decodeBase64,
  type ImageProvider,
  providerFetch,
  readJsonBody,
  sniffImage,
} from '@pixelgate/core';

const [mode, port, n, count] = [
  process.argv[2]!,
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
];
const size = process.argv[6]!;

/** A minimal OpenAI-style plugin: POST, parse, decode base64 once. */
const provider: ImageProvider = {
  specificationVersion: 'v1',
  id: 'wire',
  models: [
    {
      id: 'bench',
      provider: 'wire',
      capabilities: { sizes: ['256x256', '1024x1024'], maxImagesPerCall: 10, maxPromptLength: 4000 },
      pricing: { perImage: [{ usd: 0.01 }] },
    },
  ],
  async generate(call, context) {
    const response = await providerFetch(
      `http://127.0.0.1:${port}/v1/images/generations`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: call.prompt, n: call.n, size: call.size }),
      },
      { provider: 'wire', signal: context.signal },
    );
    const body = (await readJsonBody(response, { provider: 'wire' })) as {
      data: Array<{ b64_json: string }>;
    };
    return {
      images: body.data.map((item) => {
        const bytes = decodeBase64(item.b64_json, 'wire');
        return { bytes, mediaType: sniffImage(bytes)?.mediaType ?? 'application/octet-stream' };
      }),
    };
  },
};

const gateway = createGateway({ providers: [provider] });
const model = gateway.registry.resolve('wire/bench').model;
const request = {
  model: 'wire/bench',
  prompt: 'a lighthouse at dusk',
  n,
  size,
  response_format: 'b64_json' as const,
};

async function once(): Promise<number> {
  if (mode === 'direct') {
    // What a hand-written server does: call the provider, then base64 the bytes for its client.
    const result = await provider.generate(
      { model, prompt: request.prompt, n, size, providerOptions: {} },
      { signal: new AbortController().signal, requestId: 'bench', callIndex: 0, attempt: 0, logger: console },
    );
    return result.images.reduce(
      (sum, image) =>
        sum +
        Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64')
          .length,
      0,
    );
  }
  const result = await gateway.generate(request);
  // The put is measured; keeping every image of the run in memory would not be (a real deployment
  // sweeps or uses disk/S3), so each run's objects are removed once answered.
  await Promise.all(result.images.map((image) => gateway.storage.delete(image.storageKey!)));
  return result.data.reduce((sum, item) => sum + (item.b64_json?.length ?? 0), 0);
}

// Warm-up: a tenth of the run (at least 3), so the pipeline's code is compiled before measuring.
for (let i = 0; i < Math.max(3, Math.ceil(count / 10)); i++) await once();
const latencies: number[] = [];
const cpuStart = process.cpuUsage();
for (let i = 0; i < count; i++) {
  const started = performance.now();
  await once();
  latencies.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuStart);
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
process.stdout.write(
  `${JSON.stringify({
    p50: pick(0.5),
    p95: pick(0.95),
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / count,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
await gateway.close();

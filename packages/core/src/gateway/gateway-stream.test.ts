import { afterEach, describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../audit/audit-record.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import type { ImageStreamEvent } from '../pipeline/image-stream.ts';
import {
  createMockImageProvider,
  MOCK_EDIT_MODEL,
  MOCK_MODEL,
  type MockImageProviderOptions,
} from '../testing/mock-image-provider.ts';
import { solidPng } from '../testing/solid-png.ts';
import { createGateway, type Gateway } from './create-gateway.ts';
import type { GatewayOptions } from './gateway-options.ts';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

/** A streaming model that sends at most one partial image. */
const ONE_PARTIAL_MODEL: ModelDescriptorInput = {
  ...MOCK_EDIT_MODEL,
  id: 'mock-one-partial',
  aliases: [],
  capabilities: { ...MOCK_EDIT_MODEL.capabilities, stream: { maxPartialImages: 1 } },
};

function setup(options: Partial<GatewayOptions> = {}, mock: MockImageProviderOptions = {}) {
  const provider = createMockImageProvider({
    models: [MOCK_MODEL, MOCK_EDIT_MODEL, ONE_PARTIAL_MODEL],
    ...mock,
  });
  const audit = new MemoryAuditSink();
  const gateway = createGateway({ providers: [provider], auditSink: audit, ...options });
  gateways.push(gateway);
  return { gateway, provider, audit };
}

async function collect(events: AsyncIterable<ImageStreamEvent>): Promise<ImageStreamEvent[]> {
  const seen: ImageStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

async function thrownBy(events: AsyncIterable<ImageStreamEvent>): Promise<GatewayError> {
  try {
    await collect(events);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected the stream to fail');
}

describe('gateway.stream', () => {
  it('sends the partial images in order, then one completed event, and audits the stream once', async () => {
    const { gateway, provider, audit } = setup();
    const events = await collect(
      gateway.stream('generate', { model: 'mock-edit', prompt: 'a fox', n: 2, partial_images: 2 }),
    );
    expect(
      events.map((e) => (e.type === 'partial_image' ? `${e.imageIndex}.${e.partialImageIndex}` : e.type)),
    ).toEqual(['0.0', '0.1', '1.0', '1.1', 'completed']);
    const first = events[0]!;
    expect(first).toMatchObject({
      operation: 'generate',
      mediaType: 'image/png',
      size: '256x256',
      quality: 'medium',
    });
    expect(first.type === 'partial_image' && Buffer.from(first.b64, 'base64').subarray(1, 4).toString()).toBe(
      'PNG',
    );
    const completed = events.at(-1)!;
    expect(completed.type === 'completed' && completed.result.images).toHaveLength(2);
    expect(provider.calls[0]!.call.partialImages).toBe(2);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({
      operation: 'generate',
      outcome: 'success',
      stream: { native: true, partialImagesRequested: 2, partialImagesSent: 4 },
      parameters: { stream: true, partial_images: 2 },
    });
    expect(JSON.stringify(audit.records[0])).not.toContain(first.type === 'partial_image' ? first.b64 : '-');
  });

  it('numbers the partial images across split calls', async () => {
    const { gateway } = setup();
    const events = await collect(
      gateway.stream('generate', { model: 'mock-edit', prompt: 'x', n: 5, partial_images: 1 }),
    );
    const indexes = events.flatMap((e) => (e.type === 'partial_image' ? [e.imageIndex] : []));
    expect(indexes.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('streams an edit with image_edit semantics', async () => {
    const { gateway, provider } = setup();
    const events = await collect(
      gateway.stream('edit', { model: 'mock-edit', prompt: 'x', image: solidPng(64, 64), partial_images: 1 }),
    );
    expect(events.map((e) => `${e.type}:${e.operation}`)).toEqual(['partial_image:edit', 'completed:edit']);
    expect(provider.calls[0]!.call.operation).toBe('edit');
  });

  it('refuses a stream on a model that cannot stream under strict, from the iterator, after one audit record', async () => {
    const { gateway, provider, audit } = setup();
    const error = await thrownBy(gateway.stream('generate', { model: 'mock', prompt: 'x' }));
    expect([error.code, error.param]).toEqual(['VALIDATION_ERROR', 'stream']);
    expect(error.message).toMatch(/mock\/mock-edit/);
    expect(provider.calls).toHaveLength(0);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ outcome: 'rejected', error: { param: 'stream' } });
  });

  it('answers a stream on a model that cannot stream with one completed event and a warning under coerce', async () => {
    const { gateway, provider, audit } = setup({ capabilityPolicy: 'coerce' });
    const events = await collect(
      gateway.stream('generate', { model: 'mock', prompt: 'x', partial_images: 2 }),
    );
    expect(events.map((e) => e.type)).toEqual(['completed']);
    expect(provider.calls[0]!.call.partialImages).toBeUndefined();
    expect(audit.records[0]!.warnings).toContainEqual(
      expect.objectContaining({ type: 'unsupported', param: 'stream' }),
    );
    expect(audit.records[0]!.stream).toEqual({
      native: false,
      partialImagesRequested: 0,
      partialImagesSent: 0,
    });
  });

  it('refuses partial_images above the model maximum under strict, and lowers it with a warning under coerce', async () => {
    const strict = setup();
    const error = await thrownBy(
      strict.gateway.stream('generate', { model: 'mock-one-partial', prompt: 'x', partial_images: 3 }),
    );
    expect([error.code, error.param]).toEqual(['VALIDATION_ERROR', 'partial_images']);
    const coerce = setup({ capabilityPolicy: 'coerce' });
    const events = await collect(
      coerce.gateway.stream('generate', { model: 'mock-one-partial', prompt: 'x', partial_images: 3 }),
    );
    expect(events.map((e) => e.type)).toEqual(['partial_image', 'completed']);
    const completed = events.at(-1)!;
    expect(completed.type === 'completed' && completed.result.warnings).toContainEqual(
      expect.objectContaining({ type: 'coerced', param: 'partial_images', from: 3, to: 1 }),
    );
  });

  it('aborts the upstream call when the consumer stops mid-stream, releases the budget, writes one record', async () => {
    let upstreamSignal: AbortSignal | undefined;
    const { gateway, audit } = setup(
      { budgets: { rules: [{ scope: 'tenant', period: 'day', limitUsd: 0.04 }] } },
      {
        // Hold the upstream call after its first partial image until it is aborted.
        afterPartialImage: (_partial, context) =>
          new Promise<void>((resolve) => {
            upstreamSignal = context.signal;
            if (context.signal.aborted) resolve();
            context.signal.addEventListener('abort', () => resolve(), { once: true });
          }),
      },
    );
    const tenant = { tenantId: 'acme' };
    let partials = 0;
    for await (const event of gateway.stream(
      'generate',
      { model: 'mock-edit', prompt: 'x', partial_images: 3 },
      { tenant },
    )) {
      if (event.type === 'partial_image') partials++;
      break;
    }
    expect(partials).toBe(1);
    expect(upstreamSignal?.aborted).toBe(true);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({
      outcome: 'failed',
      error: { code: 'ABORTED' },
      stream: { partialImagesSent: 1 },
    });
    expect(auditRecordSchema.safeParse(audit.records[0]).success).toBe(true);
    // The reservation (0.04, the whole budget) was released: the same request fits again.
    const result = await gateway.generate({ model: 'mock-edit', prompt: 'x' }, { tenant });
    expect(result.images).toHaveLength(1);
  });

  it('runs concurrent streams independently, each with its own events and one record', async () => {
    const { gateway, audit } = setup();
    const runs = await Promise.all(
      [1, 2, 3, 0].map((partial_images) =>
        collect(
          gateway.stream('generate', { model: 'mock-edit', prompt: `p${partial_images}`, partial_images }),
        ),
      ),
    );
    expect(runs.map((events) => events.length)).toEqual([2, 3, 4, 1]);
    expect(audit.records).toHaveLength(4);
    expect(audit.records.map((r) => r.stream?.partialImagesSent).sort()).toEqual([0, 1, 2, 3]);
  });

  it('aborts on the caller signal too, and the error comes from the iterator', async () => {
    const controller = new AbortController();
    const { gateway, audit } = setup({}, { afterPartialImage: () => controller.abort() });
    const error = await thrownBy(
      gateway.stream(
        'generate',
        { model: 'mock-edit', prompt: 'x', partial_images: 2 },
        { signal: controller.signal },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(audit.records).toHaveLength(1);
  });

  it('reports partial images to onPartialImage of a plain generate call', async () => {
    const { gateway } = setup();
    const seen: number[] = [];
    const result = await gateway.generate(
      { model: 'mock-edit', prompt: 'x', stream: true, partial_images: 3 },
      { onPartialImage: (event) => seen.push(event.partialImageIndex) },
    );
    expect(seen).toEqual([0, 1, 2]);
    expect(result.images).toHaveLength(1);
  });
});

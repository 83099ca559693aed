import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import type { GenerationResult } from '../pipeline/generation-result.ts';
import type { ImageStreamEvent } from '../pipeline/image-stream.ts';
import { imageStreamReply } from './image-stream-reply.ts';

const context = { requestId: 'req_1', style: 'openai' as const, baseHeaders: { 'x-request-id': 'req_1' } };
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const spec = {
  eventPrefix: 'image_edit' as const,
  body: { size: '64x64', quality: 'low' },
  now: () => 1700,
  logger,
};

function result(count: number): GenerationResult {
  return {
    created: 1700,
    data: Array.from({ length: count }, (_, index) => ({ b64_json: `final${index}` })),
    requestId: 'req_1',
    model: 'mock/m',
    provider: 'mock',
    images: Array.from({ length: count }, () => ({
      bytes: new Uint8Array(),
      mediaType: 'image/png',
      sha256: 'a'.repeat(64),
      sizeBytes: 1,
      width: 64,
      height: 64,
      labels: [],
    })),
    warnings: [],
    labels: [],
    verdicts: [],
    usage: { inputTextTokens: 3, inputImageTokens: 4, outputImageTokens: 5, totalTokens: 12 },
    cost: { basis: 'unknown' },
    rateLimit: [],
    timings: {},
  };
}

/** Parses an event-stream body into its events. */
async function events(
  body: ReadableStream<Uint8Array>,
): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const text = await new Response(body).text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return {
        event: eventLine!.slice('event: '.length),
        data: JSON.parse(dataLine!.slice('data: '.length)),
      };
    });
}

describe('imageStreamReply', () => {
  it("streams partial images, then one completed event per image with OpenAI's fields and usage on the last", async () => {
    const reply = await imageStreamReply(
      context,
      spec,
      (async function* (): AsyncGenerator<ImageStreamEvent> {
        yield {
          type: 'partial_image',
          operation: 'edit',
          b64: 'p0',
          mediaType: 'image/png',
          partialImageIndex: 0,
          imageIndex: 0,
        };
        yield {
          type: 'partial_image',
          operation: 'edit',
          b64: 'p1',
          mediaType: 'image/png',
          partialImageIndex: 1,
          imageIndex: 0,
        };
        yield { type: 'completed', operation: 'edit', result: result(2) };
      })(),
    );
    expect(reply.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const all = await events(reply.body as ReadableStream<Uint8Array>);
    expect(all.map((event) => event.event)).toEqual([
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.completed',
      'image_edit.completed',
    ]);
    expect(all[1]!.data).toEqual({
      type: 'image_edit.partial_image',
      b64_json: 'p1',
      created_at: 1700,
      size: '64x64',
      quality: 'low',
      partial_image_index: 1,
    });
    expect(all[2]!.data).not.toHaveProperty('usage');
    expect(all[3]!.data).toMatchObject({
      type: 'image_edit.completed',
      b64_json: 'final1',
      size: '64x64',
      output_format: 'png',
      usage: { input_tokens: 7, output_tokens: 5, total_tokens: 12 },
    });
  });

  it('throws a refusal that happens before the first item, so it is answered as JSON', async () => {
    const refused = new GatewayError('VALIDATION_ERROR', 'no', { param: 'size' });
    await expect(
      imageStreamReply(context, spec, {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(refused) }),
      }),
    ).rejects.toBe(refused);
  });

  it('ends with one error event carrying the code when the request fails after the stream began', async () => {
    const reply = await imageStreamReply(
      context,
      spec,
      (async function* (): AsyncGenerator<ImageStreamEvent> {
        yield {
          type: 'partial_image',
          operation: 'edit',
          b64: 'p0',
          mediaType: 'image/png',
          partialImageIndex: 0,
          imageIndex: 0,
        };
        throw new GatewayError('TIMEOUT', 'The request deadline passed.');
      })(),
    );
    const all = await events(reply.body as ReadableStream<Uint8Array>);
    expect(all.map((event) => event.event)).toEqual(['image_edit.partial_image', 'error']);
    expect(all[1]!.data).toMatchObject({
      type: 'error',
      error: { code: 'timeout', message: 'The request deadline passed.' },
    });
  });

  it('stops the source when the client goes away', async () => {
    let stopped = false;
    const reply = await imageStreamReply(
      context,
      spec,
      (async function* (): AsyncGenerator<ImageStreamEvent> {
        try {
          for (let index = 0; ; index++)
            yield {
              type: 'partial_image',
              operation: 'edit',
              b64: 'p',
              mediaType: 'image/png',
              partialImageIndex: index,
              imageIndex: 0,
            };
        } finally {
          stopped = true;
        }
      })(),
    );
    const reader = (reply.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(stopped).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { GenerationResult } from './generation-result.ts';
import { type ImageStreamEvent, type PartialImageEvent, streamRequest } from './image-stream.ts';

const partial = (index: number): PartialImageEvent => ({
  type: 'partial_image',
  operation: 'generate',
  imageIndex: 0,
  partialImageIndex: index,
  b64: 'AA==',
  mediaType: 'image/png',
});
const result = { requestId: 'req_1' } as GenerationResult;

describe('streamRequest', () => {
  it('yields partial images in order, including those reported together, then the completed event', async () => {
    const events: ImageStreamEvent[] = [];
    const stream = streamRequest('generate', async (onPartialImage) => {
      onPartialImage(partial(0));
      onPartialImage(partial(1));
      await Promise.resolve();
      onPartialImage(partial(2));
      return result;
    });
    for await (const event of stream) events.push(event);
    expect(events.map((e) => (e.type === 'partial_image' ? e.partialImageIndex : e.type))).toEqual([
      0,
      1,
      2,
      'completed',
    ]);
    expect(events.at(-1)).toEqual({ type: 'completed', operation: 'generate', result });
  });

  it('throws the request failure from the iterator once the request has ended', async () => {
    let ended = false;
    const stream = streamRequest('edit', async (onPartialImage) => {
      onPartialImage(partial(0));
      await new Promise((resolve) => setImmediate(resolve));
      ended = true;
      throw new Error('refused');
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    ).rejects.toThrow('refused');
    expect(ended).toBe(true);
    expect(seen).toEqual(['partial_image']);
  });

  it('aborts the request when the consumer stops, and returns only after the request has ended', async () => {
    let signal: AbortSignal | undefined;
    let ended = false;
    const stream = streamRequest('generate', (onPartialImage, requestSignal) => {
      signal = requestSignal;
      onPartialImage(partial(0));
      return new Promise<GenerationResult>((_, reject) => {
        requestSignal.addEventListener('abort', () => {
          setImmediate(() => {
            ended = true;
            reject(requestSignal.reason);
          });
        });
      });
    });
    for await (const _event of stream) break;
    expect(signal?.aborted).toBe(true);
    expect((signal!.reason as { code?: string }).code).toBe('ABORTED');
    expect(ended).toBe(true);
  });

  it('follows the caller signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller'));
    const stream = streamRequest(
      'generate',
      (_onPartialImage, signal) => (signal.aborted ? Promise.reject(signal.reason) : Promise.resolve(result)),
      controller.signal,
    );
    await expect(stream.next()).rejects.toThrow('caller');
  });
});

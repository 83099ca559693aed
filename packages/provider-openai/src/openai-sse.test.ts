import { describe, expect, it } from 'vitest';
import { readServerSentEvents, ServerSentEventParser } from './openai-sse.ts';

const tooLarge = () => new Error('too large');

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

const limits = {
  provider: 'openai',
  maxEventBytes: 1024,
  maxTotalBytes: 4096,
  signal: new AbortController().signal,
  upstreamStatus: 200,
};

async function collect(chunks: string[], override: Partial<typeof limits> = {}) {
  const events = [];
  for await (const event of readServerSentEvents(bodyOf(chunks), { ...limits, ...override }))
    events.push(event);
  return events;
}

describe('server-sent event parsing', () => {
  it('joins events split anywhere across chunks, with LF or CRLF, skipping comments and other fields', async () => {
    const text =
      ': keep-alive\n\nevent: a.partial_image\ndata: {"x":1}\n\r\nid: 7\nretry: 10\nevent: a.completed\r\ndata: {"y":\r\ndata: 2}\r\n\r\n';
    const whole = await collect([text]);
    expect(whole).toEqual([
      { event: 'a.partial_image', data: '{"x":1}' },
      { event: 'a.completed', data: '{"y":\n2}' },
    ]);
    // Every split point gives the same events.
    for (let cut = 1; cut < text.length; cut++) {
      expect(await collect([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    // One character at a time too.
    expect(await collect([...text])).toEqual(whole);
  });

  it('drops an event the stream ended inside (no closing blank line)', async () => {
    expect(await collect(['event: a\ndata: {"x":1}\n\nevent: b\ndata: {"y":2}\n'])).toEqual([
      { event: 'a', data: '{"x":1}' },
    ]);
  });

  it('refuses an event over the per-event bound, whether in one line or many, and a stream over the total', async () => {
    const parser = new ServerSentEventParser(tooLarge, 10);
    expect(() => parser.push('data: 0123456789abc')).toThrow('too large');
    const many = new ServerSentEventParser(tooLarge, 10);
    expect(() => many.push('data: 012345\ndata: 678901\n')).toThrow('too large');
    await expect(collect([`data: ${'x'.repeat(2000)}\n\n`])).rejects.toMatchObject({
      reason: 'malformed_response',
    });
    const events = Array.from({ length: 200 }, (_, i) => `data: ${i}\n\n`).join('');
    await expect(collect([events], { maxTotalBytes: 100 })).rejects.toMatchObject({
      reason: 'malformed_response',
    });
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: {}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _event of readServerSentEvents(body, limits)) break;
    expect(cancelled).toBe(true);
  });
});

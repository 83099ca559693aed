import { describe, expect, it } from 'vitest';
import { encodeServerSentEvent, serverSentEventStream } from './server-sent-events.ts';

describe('server-sent events', () => {
  it('encodes an event as OpenAI streams image events', () => {
    const text = new TextDecoder().decode(
      encodeServerSentEvent({ event: 'image_generation.partial_image', data: { partial_image_index: 0 } }),
    );
    expect(text).toBe('event: image_generation.partial_image\ndata: {"partial_image_index":0}\n\n');
  });

  it('streams every event in order, and stops the source when the client goes away', async () => {
    const full = new Response(
      serverSentEventStream(
        (async function* () {
          yield { event: 'a', data: 1 };
          yield { event: 'b', data: 2 };
        })(),
      ),
    );
    expect(await full.text()).toBe('event: a\ndata: 1\n\nevent: b\ndata: 2\n\n');

    let stopped = false;
    const endless = serverSentEventStream(
      (async function* () {
        try {
          for (let index = 0; ; index++) yield { event: 'tick', data: index };
        } finally {
          stopped = true;
        }
      })(),
    );
    const reader = endless.getReader();
    await reader.read();
    await reader.cancel();
    expect(stopped).toBe(true);
  });
});

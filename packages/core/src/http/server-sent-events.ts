/** One server-sent event: its name and its JSON data. */
export interface ServerSentEvent {
  event: string;
  data: unknown;
}

const encoder = new TextEncoder();

/** One event in the text/event-stream format (`event:` and one `data:` line of JSON). */
export function encodeServerSentEvent(event: ServerSentEvent): Uint8Array {
  return encoder.encode(`event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
}

/**
 * A `text/event-stream` body from an async source of events. When the client goes away the source
 * is returned (its `finally` runs), so a stream's upstream call is aborted rather than left running.
 */
export function serverSentEventStream(events: AsyncIterable<ServerSentEvent>): ReadableStream<Uint8Array> {
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(encodeServerSentEvent(value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** The response headers of an event stream (no buffering by proxies, no caching). */
export const SERVER_SENT_EVENT_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
} as const;

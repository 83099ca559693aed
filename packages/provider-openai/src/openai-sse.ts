import { abortErrorFrom, BackendError, GatewayError } from '@pixelgate/core/provider-utils';

/** One server-sent event as read off the wire: its name (may be empty) and its data text. */
export interface RawServerSentEvent {
  event: string;
  data: string;
}

/** Bounds and identity for reading one upstream event stream. */
export interface ServerSentEventLimits {
  provider: string;
  /** Largest single event (its data lines together), in bytes of text. */
  maxEventBytes: number;
  /** Largest whole stream, in bytes. */
  maxTotalBytes: number;
  signal: AbortSignal;
  upstreamStatus: number;
  upstreamRequestId?: string | undefined;
}

function malformed(limits: ServerSentEventLimits, message: string, cause?: unknown): BackendError {
  return new BackendError(message, {
    reason: 'malformed_response',
    provider: limits.provider,
    upstreamStatus: limits.upstreamStatus,
    ...(limits.upstreamRequestId ? { upstreamRequestId: limits.upstreamRequestId } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Incremental `text/event-stream` parser (the WHATWG rules that matter here: `event:` and `data:`
 * fields, several data lines joined by newlines, comments and other fields skipped, a blank line
 * ends the event, CRLF or LF). It holds at most one event's text, so memory is bounded by
 * `maxEventBytes` however long the stream runs; a line is never rescanned.
 */
export class ServerSentEventParser {
  private lineParts: string[] = [];
  private lineLength = 0;
  private eventName = '';
  private dataLines: string[] = [];
  private eventLength = 0;

  constructor(
    private readonly onTooLarge: () => Error,
    private readonly maxEventBytes: number,
  ) {}

  /** Feeds decoded text; returns the events it completed, in order. */
  push(text: string): RawServerSentEvent[] {
    const events: RawServerSentEvent[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      this.lineParts.push(text.slice(start, newline));
      const line = this.lineParts.join('').replace(/\r$/, '');
      this.lineParts = [];
      this.lineLength = 0;
      const event = this.takeLine(line);
      if (event) events.push(event);
      start = newline + 1;
    }
    const rest = text.slice(start);
    if (rest.length > 0) {
      this.lineLength += rest.length;
      if (this.eventLength + this.lineLength > this.maxEventBytes) throw this.onTooLarge();
      this.lineParts.push(rest);
    }
    return events;
  }

  private takeLine(line: string): RawServerSentEvent | undefined {
    if (line === '') {
      if (this.dataLines.length === 0) {
        this.eventName = '';
        return undefined;
      }
      const event = { event: this.eventName, data: this.dataLines.join('\n') };
      this.eventName = '';
      this.dataLines = [];
      this.eventLength = 0;
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.eventName = value;
    else if (field === 'data') {
      this.eventLength += value.length;
      if (this.eventLength > this.maxEventBytes) throw this.onTooLarge();
      this.dataLines.push(value);
    }
    return undefined;
  }
}

/**
 * Reads an upstream event stream, yielding each event as it completes. The body is cancelled
 * when the consumer stops early (an error event, an abort), so the upstream connection closes.
 * A stream cut short or over a bound is a BackendError `malformed_response`; an abort is the
 * caller's ABORTED/TIMEOUT.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  limits: ServerSentEventLimits,
): AsyncGenerator<RawServerSentEvent> {
  const tooLarge = () =>
    malformed(limits, `${limits.provider} sent a stream event larger than ${limits.maxEventBytes} bytes.`);
  const parser = new ServerSentEventParser(tooLarge, limits.maxEventBytes);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let total = 0;
  let done = false;
  try {
    while (!done) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (limits.signal.aborted) throw abortErrorFrom(limits.signal, limits.provider);
        if (GatewayError.isInstance(error)) throw error;
        throw malformed(limits, `${limits.provider}'s event stream was cut short.`, error);
      }
      done = chunk.done;
      if (chunk.value) {
        total += chunk.value.byteLength;
        if (total > limits.maxTotalBytes) {
          throw malformed(limits, `${limits.provider} streamed more than ${limits.maxTotalBytes} bytes.`);
        }
      }
      // Per the event-stream rules an event not closed by a blank line at the end is dropped: the
      // consumer then sees a stream without its completed event, which it reports as cut short.
      if (done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      yield* parser.push(text);
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

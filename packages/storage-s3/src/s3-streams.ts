import { Readable } from 'node:stream';
import type { GatewayError } from '@pixelgate/core';
import type { ByteRange } from '@pixelgate/core/spec';

/** A pull-based web stream over a Node stream: reads only as fast as the consumer does. */
export function webStreamOf(
  body: unknown,
  onError: (error: unknown) => GatewayError,
): ReadableStream<Uint8Array> {
  if (body instanceof Readable) {
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await iterator.next();
            if (done) controller.close();
            else controller.enqueue(value instanceof Uint8Array ? value : Buffer.from(value));
          } catch (error) {
            controller.error(onError(error));
          }
        },
        async cancel() {
          body.destroy();
        },
      },
      { highWaterMark: 1 },
    );
  }
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  const mixin = body as { transformToWebStream?: () => ReadableStream<Uint8Array> } | undefined;
  if (mixin?.transformToWebStream) return mixin.transformToWebStream();
  return new ReadableStream({
    start(controller) {
      controller.close();
    },
  });
}

/** Skips `skip` bytes of a stream, passes on `take` bytes, then cancels the source. */
export function sliceStream(
  source: ReadableStream<Uint8Array>,
  skip: number,
  take: number,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let toSkip = skip;
  let toTake = take;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (toTake <= 0) {
            await reader.cancel().catch(() => {});
            controller.close();
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          let chunk = value;
          if (toSkip > 0) {
            const dropped = Math.min(toSkip, chunk.byteLength);
            toSkip -= dropped;
            chunk = chunk.subarray(dropped);
          }
          if (chunk.byteLength === 0) continue;
          if (chunk.byteLength > toTake) chunk = chunk.subarray(0, toTake);
          toTake -= chunk.byteLength;
          controller.enqueue(chunk);
          return;
        }
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 1 },
  );
}

/** `bytes 0-9/100` → the range served and the object size. */
export function parseContentRange(
  header: string | undefined,
): { range: ByteRange; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (!match) return undefined;
  return { range: { start: Number(match[1]), end: Number(match[2]) }, total: Number(match[3]) };
}

import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpReply } from '@pixelgate/core/adapter-utils';

/**
 * Writes a reply to a Node response: headers in one `writeHead`, in-memory chunks written as they
 * are (no web stream in between), a streamed body (stored media) piped with backpressure. A
 * connection whose request body was left unread is closed after the reply.
 */
export async function writeReply(
  res: ServerResponse,
  reply: HttpReply,
  closeConnection = false,
): Promise<void> {
  if (res.destroyed || res.writableEnded) return;
  const headers =
    closeConnection || reply.closeConnection ? { ...reply.headers, connection: 'close' } : reply.headers;
  if (reply.statusText) res.writeHead(reply.status, reply.statusText, headers);
  else res.writeHead(reply.status, headers);
  const body = reply.body;
  if (body === undefined) {
    res.end();
    return;
  }
  if (Array.isArray(body)) {
    const last = body.length - 1;
    for (let index = 0; index < last; index++) res.write(body[index]!);
    res.end(body[last]);
    return;
  }
  try {
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), res);
  } catch {
    res.destroy();
  }
}

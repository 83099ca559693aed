import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** What Node's HTTP parser reports, by error code: status and a plain-words message. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_INVALID_CONTENT_LENGTH: [
    400,
    'The Content-Length header is not a whole number of bytes; send the exact body length in digits.',
  ],
  HPE_UNEXPECTED_CONTENT_LENGTH: [
    400,
    'The request has both Content-Length and Transfer-Encoding: chunked; send only one of them.',
  ],
  HPE_INVALID_CHUNK_SIZE: [400, 'A chunk size in the chunked request body is not valid hexadecimal.'],
  HPE_INVALID_TRANSFER_ENCODING: [400, 'The Transfer-Encoding header is not valid; use chunked or omit it.'],
  HPE_HEADER_OVERFLOW: [431, 'The request headers are larger than this server accepts.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [
    413,
    'The chunk extensions of the request body are larger than this server accepts.',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received completely in time.'],
};

const GENERIC: [number, string] = [
  400,
  'The request is not valid HTTP/1.1 (for example a malformed request line or header, or a body longer than its Content-Length); the connection is closed.',
];

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

/** The raw HTTP/1.1 answer to a request Node could not parse: the JSON envelope, a request id, Connection: close. */
export function clientErrorResponse(code: string | undefined): {
  bytes: Buffer;
  requestId: string;
  status: number;
} {
  const [status, message] = (code && CLIENT_ERRORS[code]) || GENERIC;
  const requestId = `req_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({
    error: {
      message,
      type: status === 408 ? 'server_error' : 'invalid_request_error',
      param: null,
      code:
        status === 408
          ? 'timeout'
          : status === 413 || status === 431
            ? 'payload_too_large'
            : 'validation_error',
    },
  });
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    `x-request-id: ${requestId}`,
    'Connection: close',
  ].join('\r\n');
  return { bytes: Buffer.from(`${head}\r\n\r\n${body}`, 'utf8'), requestId, status };
}

/**
 * A `clientError` listener for `node:http` servers: answers malformed requests (a non-numeric or
 * short Content-Length, Content-Length with chunked encoding, a bad chunk size, oversized headers)
 * with the JSON error envelope and a request id instead of Node's empty 400, then closes the
 * connection, since what follows on it cannot be trusted. As Node does, it writes nothing when a
 * response on that connection has already started (that would corrupt it) and stays silent on a
 * reset connection. `inFlight` tells which response, if any, is being written on the socket.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex,
  inFlight?: ServerResponse,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code).bytes);
  // A peer that never reads would keep the socket; it gets a short grace period to do so.
  setTimeout(() => socket.destroy(), 1000).unref();
}

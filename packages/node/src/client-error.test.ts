import { connect } from 'node:net';
import { createGateway, createHttpHandler, type Gateway } from '@pixelgate/core';
import { createLocalProvider } from '@pixelgate/provider-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningServer, listen } from './node-server.ts';

/** Issue 20.4: malformed raw HTTP gets the JSON envelope, a request id and Connection: close. */
let gateway: Gateway;
let server: ListeningServer;
beforeAll(async () => {
  gateway = createGateway({ providers: [createLocalProvider()] });
  server = await listen(
    createHttpHandler(gateway, { anonymous: { tenantId: 'public' }, maxBodyBytes: 4096 }),
  );
});
afterAll(async () => {
  await server.close();
  await gateway.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends raw bytes and collects everything until the server closes the connection (its readiness signal). */
function exchange(raw: string | ((write: (data: string) => void) => void)): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer still counts: the answer is what is checked.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        resolve(Buffer.concat(received).toString('latin1'));
      else reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
    socket.on('connect', () => {
      if (typeof raw === 'string') socket.write(raw);
      else raw((data) => socket.writable && socket.write(data));
    });
  });
}

/** Splits a byte stream into HTTP/1.1 responses (each with a Content-Length). */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    responses.push({
      status: Number(statusLine!.split(' ')[1]),
      headers,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
  expect(rest, 'nothing but whole responses').toBe('');
  return responses;
}

function expectEnvelope(response: RawResponse | undefined, status = 400): void {
  expect(response?.status).toBe(status);
  expect(response!.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response!.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  expect(response!.headers.connection).toBe('close');
  const json = JSON.parse(response!.body) as { error: { message: string; code: string; type: string } };
  expect(json.error.type).toBe('invalid_request_error');
  expect(json.error.message.length).toBeGreaterThan(20);
}

const HEAD = 'POST /v1/images/generations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';

describe('malformed HTTP on a @pixelgate/node server', () => {
  it('a non-numeric Content-Length', async () => {
    const [response, ...more] = parseResponses(await exchange(`${HEAD}Content-Length: abc\r\n\r\n{}`));
    expectEnvelope(response);
    expect(JSON.parse(response!.body).error.message).toContain('Content-Length');
    expect(more).toEqual([]);
  });

  it('Content-Length together with chunked encoding', async () => {
    const raw = `${HEAD}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`;
    const [response] = parseResponses(await exchange(raw));
    expectEnvelope(response);
    expect(JSON.parse(response!.body).error.message).toContain('chunked');
  });

  it('an invalid chunk size', async () => {
    const raw = `${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`;
    const [response] = parseResponses(await exchange(raw));
    expectEnvelope(response);
    expect(JSON.parse(response!.body).error.message).toContain('chunk size');
  });

  it('a Content-Length shorter than the body: every answer is a JSON envelope, the last closes', async () => {
    const body = '{"model":"placeholder","prompt":"a fox"}';
    const responses = parseResponses(await exchange(`${HEAD}Content-Length: 2\r\n\r\n${body}`));
    expect(responses.length).toBeGreaterThanOrEqual(1);
    for (const response of responses) expect(() => JSON.parse(response.body)).not.toThrow();
    expectEnvelope(responses.at(-1));
  });

  it('oversized headers get 431 in the envelope', async () => {
    const raw = `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const [response] = parseResponses(await exchange(raw));
    expect(response?.status).toBe(431);
    expect(response!.headers.connection).toBe('close');
    expect(JSON.parse(response!.body).error.code).toBe('payload_too_large');
  });

  it('an endless chunked body is refused at the limit with 413 and the connection closed', async () => {
    const text = await exchange((write) => {
      write(`${HEAD}Transfer-Encoding: chunked\r\n\r\n`);
      // 64 KiB in 1 KiB chunks: far past the 4 KiB limit; the server answers and closes meanwhile.
      for (let index = 0; index < 64; index++) write(`400\r\n${' '.repeat(1024)}\r\n`);
    });
    const [response] = parseResponses(text);
    expect(response?.status).toBe(413);
    expect(response!.headers.connection).toBe('close');
    expect(JSON.parse(response!.body).error.code).toBe('payload_too_large');
  });

  it('still serves well-formed keep-alive requests on one connection', async () => {
    const get = 'GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const responses = parseResponses(
      await exchange(`${get}${get.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
  });
});

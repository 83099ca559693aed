import { describe, expect, it } from 'vitest';
import { BackendError } from '../../errors/gateway-error.ts';
import { readJsonBody } from './provider-fetch.ts';

const base64 = (bytes: number, seed: number) =>
  Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31 + seed * 7) & 0xff)).toString('base64');

/** What readJsonBody gives for these bytes, or the error it throws. */
async function read(body: Uint8Array | string): Promise<unknown> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return readJsonBody(new Response(bytes as Uint8Array<ArrayBuffer>), { provider: 'test' });
}

async function refusal(body: Uint8Array | string): Promise<BackendError> {
  const error = await read(body).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BackendError);
  return error as BackendError;
}

describe('readJsonBody on large bodies', () => {
  it('gives exactly what JSON.parse gives for an images response with several large base64 values', async () => {
    const body = JSON.stringify({
      created: 1,
      data: [0, 1, 2, 3].map((seed) => ({
        b64_json: base64(200_000, seed),
        revised_prompt: 'a "quoted" \\ prompt – with ünïcode and \n newline',
      })),
      output_format: 'png',
      usage: { total_tokens: 10 },
    });
    const parsed = (await read(body)) as { data: Array<{ b64_json: string }> };
    expect(parsed).toStrictEqual(JSON.parse(body));
    expect(parsed.data[3]!.b64_json).toBe(base64(200_000, 3));
  });

  it('keeps long strings that need unescaping, are not ASCII or are keys exactly as JSON.parse reads them', async () => {
    const long = 'x'.repeat(300_000);
    const body = JSON.stringify({
      escaped: `${long}\\"\n${long}`,
      unicode: `${'é'.repeat(100_000)}🙂`,
      [long]: 'a long key',
      spaced: long,
      list: [long, 1, true, null, { nested: long }],
      // A computed key is an own property named __proto__, not the prototype.
      ['__proto__']: long,
    }).replace('"spaced":', '"spaced" :\n ');
    const parsed = (await read(body)) as Record<string, unknown>;
    expect(parsed).toStrictEqual(JSON.parse(body));
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
  });

  it('strips a UTF-8 byte order mark as before', async () => {
    const body = JSON.stringify({ b64_json: base64(400_000, 1) });
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    expect(await read(bytes)).toStrictEqual(JSON.parse(body));
  });

  it('refuses a long value holding a raw control character, as JSON.parse does', async () => {
    const body = `{"b64_json":"${base64(100_000, 1)}\u0001${base64(100_000, 2)}","n":1}`;
    expect(() => JSON.parse(body)).toThrow();
    const error = await refusal(body);
    expect(error.reason).toBe('malformed_response');
  });

  it('finds a control character or non-ASCII byte wherever it sits in a long value', async () => {
    const value = base64(100_000, 1);
    for (const at of [0, 1, 2, 3, 4, 5, 1001, value.length - 3, value.length - 2, value.length - 1]) {
      for (const odd of ['\u0000', '\u001f', '\t']) {
        const body = `{"b64_json":"${value.slice(0, at)}${odd}${value.slice(at)}"}`;
        expect((await refusal(body)).reason).toBe('malformed_response');
      }
      const text = `{"b64_json":"${value.slice(0, at)}\u007f\u00e9${value.slice(at)}"}`;
      expect(await read(text)).toStrictEqual(JSON.parse(text));
    }
  });

  it('refuses invalid JSON around large values', async () => {
    const value = base64(300_000, 1);
    for (const body of [
      `{"b64_json":"${value}" "n":1}`,
      `{"b64_json":"${value}",}`,
      `{"b64_json":"${value}"`,
      `{"b64_json":"${value}`,
      `["${value}", \\"x"]`,
      `{"a":"\\q","b64_json":"${value}"}`,
    ]) {
      expect(() => JSON.parse(body)).toThrow();
      expect((await refusal(body)).reason).toBe('malformed_response');
    }
  });

  it('reads a body of many small strings the same way', async () => {
    const body = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: `item-${i}`, v: 'ab\\"c' })));
    expect(await read(body)).toStrictEqual(JSON.parse(body));
  });
});

import { describe, expect, it } from 'vitest';
import { BackendError } from '../../errors/gateway-error.ts';
import { decodeBase64 } from './provider-fetch.ts';

const image = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 31) & 0xff));
const text = image.toString('base64');

function refusal(value: string): BackendError {
  let caught: unknown;
  try {
    decodeBase64(value, 'acme');
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BackendError);
  expect(caught).toMatchObject({ reason: 'malformed_response', provider: 'acme' });
  return caught as BackendError;
}

describe('decodeBase64', () => {
  it('decodes valid base64, padded, unpadded and line-wrapped, to the original bytes', () => {
    expect(Buffer.from(decodeBase64(text, 'acme')).equals(image)).toBe(true);
    expect(Buffer.from(decodeBase64('QUJDRA==', 'acme')).toString()).toBe('ABCD');
    expect(Buffer.from(decodeBase64('QUJDRA', 'acme')).toString()).toBe('ABCD');
    const wrapped = text.replace(/.{76}/g, '$&\r\n');
    expect(Buffer.from(decodeBase64(wrapped, 'acme')).equals(image)).toBe(true);
    expect(decodeBase64('', 'acme').byteLength).toBe(0);
  });

  it('refuses junk anywhere in a long string, not only near its end', () => {
    const middle = text.length >> 1;
    refusal(`${text.slice(0, 100)}!${text.slice(100)}`);
    refusal(`${text.slice(0, middle)}{"x":1}${text.slice(middle)}`);
    refusal(`${text.slice(0, middle)}é${text.slice(middle)}`);
    refusal(`${text.slice(0, middle)} ${text.slice(middle)}@`);
  });

  it('refuses misplaced padding, a dangling character, URL-safe letters and text with no data', () => {
    refusal('QUJD==REVG');
    refusal('QUJDR');
    refusal(`${text.slice(0, 40)}-_${text.slice(42)}`);
    expect(refusal('====').message).toContain('not base64');
    expect(refusal(' \n ').message).toContain('empty image data');
  });

  it('never quotes the data in its message', () => {
    const error = refusal(`${text.slice(0, 200)}*${text.slice(200)}`);
    expect(error.message).not.toContain(text.slice(0, 40));
  });
});

import { describe, expect, it } from 'vitest';
import { solidPng } from '../testing/solid-png.ts';
import { readMultipartBody } from './multipart-body.ts';

const LIMITS = { maxFileBytes: 64 * 1024, maxFiles: 17, maxTotalBytes: 512 * 1024 };

function formRequest(build: (form: FormData) => void, headers: Record<string, string> = {}): Request {
  const form = new FormData();
  build(form);
  return new Request('http://gateway.test/v1/images/edits', { method: 'POST', body: form, headers });
}
const png = (side: number) =>
  new File([new Uint8Array(solidPng(side, side))], `i${side}.png`, { type: 'image/png' });

describe('readMultipartBody', () => {
  it('reads repeated image[] files, the mask and the text fields as the OpenAI SDKs send them', async () => {
    const body = await readMultipartBody(
      formRequest((form) => {
        form.append('image[]', png(32));
        form.append('image[]', png(48));
        form.append('mask', png(32));
        form.append('prompt', 'add a red boat');
        form.append('n', '2');
      }),
      LIMITS,
    );
    expect(body.fields).toEqual({ prompt: 'add a red boat', n: '2' });
    expect(body.files.map((file) => [file.field, file.filename, file.declaredType])).toEqual([
      ['image[]', 'i32.png', 'image/png'],
      ['image[]', 'i48.png', 'image/png'],
      ['mask', 'i32.png', 'image/png'],
    ]);
    expect(Buffer.from(body.files[1]!.bytes).equals(Buffer.from(await png(48).arrayBuffer()))).toBe(true);
  });

  it('refuses a file over the per-file limit while reading, naming its field', async () => {
    const big = new File([new Uint8Array(LIMITS.maxFileBytes + 1)], 'big.png', { type: 'image/png' });
    await expect(
      readMultipartBody(
        formRequest((form) => form.append('image', big)),
        LIMITS,
      ),
    ).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      param: 'image',
      status: 413,
    });
  });

  it('refuses more files than allowed, and a body over the total', async () => {
    await expect(
      readMultipartBody(
        formRequest((form) => Array.from({ length: 18 }, () => form.append('image[]', png(8)))),
        LIMITS,
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', param: 'image' });
    const several = formRequest((form) =>
      Array.from({ length: 12 }, () => form.append('image[]', new File([new Uint8Array(60_000)], 'x.png'))),
    );
    await expect(readMultipartBody(several, LIMITS)).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    });
  });

  it('refuses a body that is not multipart with 415, and a declared length over the limit before reading', async () => {
    const json = new Request('http://gateway.test/v1/images/edits', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await expect(readMultipartBody(json, LIMITS)).rejects.toMatchObject({ status: 415 });
    const declared = formRequest((form) => form.append('prompt', 'x'), {
      'content-length': String(LIMITS.maxTotalBytes + 1),
    });
    await expect(readMultipartBody(declared, LIMITS)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a multipart Content-Type without a boundary as a client error, not a 500', async () => {
    const request = new Request('http://gateway.test/v1/images/edits', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'prompt=x',
    });
    await expect(readMultipartBody(request, LIMITS)).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      status: 400,
      message: expect.stringContaining('boundary'),
    });
  });
});

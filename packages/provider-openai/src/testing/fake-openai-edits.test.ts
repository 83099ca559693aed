import { drawTestImage } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maskPng } from '../openai-edit.test-helpers.ts';
import { pngHasAlpha } from './fake-openai-edits.ts';
import { FAKE_OPENAI_API_KEY, type FakeOpenAIServer, startFakeOpenAIServer } from './index.ts';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function png(width: number, height: number, seed = 0): Blob {
  return new Blob([drawTestImage({ width, height, seed }) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

function form(fields: Record<string, string>, files: Array<[string, Blob]>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const [name, blob] of files) body.append(name, blob, `${name}.png`);
  return body;
}

async function postForm(path: string, body: FormData | string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${FAKE_OPENAI_API_KEY}`, ...headers },
    body,
  });
}

async function errorOf(response: Response) {
  const json = (await response.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  return { status: response.status, ...json.error };
}

describe('fake OpenAI server: edits and variations', () => {
  it("refuses unknown fields with OpenAI's error envelope (style is a generation field)", async () => {
    const response = await postForm(
      '/v1/images/edits',
      form({ model: 'gpt-image-1.5', prompt: 'x', style: 'vivid' }, [['image', png(16, 16)]]),
    );
    expect(await errorOf(response)).toEqual({
      status: 400,
      message: "Unknown parameter: 'style'.",
      type: 'invalid_request_error',
      param: 'style',
      code: 'unknown_parameter',
    });
  });

  it('refuses a body that is not multipart, an unknown file field and a missing image', async () => {
    const json = await postForm('/v1/images/edits', JSON.stringify({ prompt: 'x' }), {
      'content-type': 'application/json',
    });
    expect(await errorOf(json)).toMatchObject({ status: 400, code: 'invalid_content_type' });
    const odd = await postForm('/v1/images/edits', form({ prompt: 'x' }, [['picture', png(8, 8)]]));
    expect(await errorOf(odd)).toMatchObject({ status: 400, param: 'picture', code: 'unknown_parameter' });
    const none = await postForm('/v1/images/edits', form({ prompt: 'x' }, []));
    expect(await errorOf(none)).toMatchObject({
      status: 400,
      param: 'image',
      code: 'missing_required_parameter',
    });
  });

  it('refuses dall-e-3 edits and variations of a GPT image model', async () => {
    const edit = await postForm(
      '/v1/images/edits',
      form({ model: 'dall-e-3', prompt: 'x' }, [['image', png(16, 16)]]),
    );
    expect(await errorOf(edit)).toMatchObject({ status: 400, param: 'model' });
    const variation = await postForm(
      '/v1/images/variations',
      form({ model: 'gpt-image-1.5' }, [['image', png(16, 16)]]),
    );
    expect(await errorOf(variation)).toMatchObject({ status: 400, param: 'model' });
  });

  it('defaults edits to gpt-image-1.5 and variations to dall-e-2, as the API does', async () => {
    const edit = await postForm(
      '/v1/images/edits',
      form({ prompt: 'x', quality: 'low' }, [['image', png(16, 16)]]),
    );
    expect(edit.status).toBe(200);
    expect(await edit.json()).toMatchObject({ quality: 'low', output_format: 'png' });
    const variation = await postForm(
      '/v1/images/variations',
      form({ size: '256x256', response_format: 'b64_json' }, [['image', png(64, 64)]]),
    );
    const body = (await variation.json()) as { data: Array<{ b64_json: string }>; usage?: unknown };
    expect(body.data).toHaveLength(1);
    expect(body.usage).toBeUndefined();
  });

  it("streams an edit with OpenAI's event names and fields", async () => {
    const response = await postForm(
      '/v1/images/edits',
      form({ prompt: 'x', stream: 'true', partial_images: '1', quality: 'low', size: '1024x1024' }, [
        ['image', png(16, 16)],
      ]),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocks = (await response.text()).trim().split('\n\n');
    const events = blocks.map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return {
        event: eventLine!.slice('event: '.length),
        data: JSON.parse(dataLine!.slice('data: '.length)),
      };
    });
    expect(events.map((event) => event.event)).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    expect(Object.keys(events[0]!.data).sort()).toEqual(
      [
        'b64_json',
        'background',
        'created_at',
        'output_format',
        'partial_image_index',
        'quality',
        'size',
        'type',
      ].sort(),
    );
    expect(events[0]!.data).toMatchObject({
      type: 'image_edit.partial_image',
      partial_image_index: 0,
      size: '1024x1024',
      quality: 'low',
    });
    expect(events[1]!.data).toMatchObject({
      type: 'image_edit.completed',
      usage: { input_tokens_details: { image_tokens: 323 } },
    });
  });

  it('records multipart bodies by field, size and hash, never the bytes', async () => {
    await postForm('/v1/images/edits', form({ prompt: 'x' }, [['image', png(16, 16)]]));
    const recorded = server.requests.at(-1)!.body as {
      fields: unknown;
      files: Array<Record<string, unknown>>;
    };
    expect(recorded.fields).toEqual({ prompt: 'x' });
    expect(recorded.files[0]).toMatchObject({ field: 'image', declaredType: 'image/png' });
    expect(recorded.files[0]!.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(JSON.stringify(recorded)).not.toContain('iVBOR');
  });

  it('knows a PNG has alpha by its colour type', () => {
    expect(pngHasAlpha(maskPng(4, 4))).toBe(true);
    expect(pngHasAlpha(maskPng(4, 4, false))).toBe(false);
  });
});

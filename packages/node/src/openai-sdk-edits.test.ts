import {
  createApiKeyAuthenticator,
  createGateway,
  createHttpHandler,
  type Gateway,
  hashApiKey,
  MemoryAuditSink,
} from '@pixelgate/core';
import { sniffImage } from '@pixelgate/core/provider-utils';
import type { ProviderCall, ProviderCallContext, ProviderResult } from '@pixelgate/core/spec';
import { createMockImageProvider, MOCK_MODEL, maskPng, solidPng } from '@pixelgate/core/testing';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ListeningServer, listen } from './node-server.ts';

/**
 * Edits, variations and streamed partial images through the official `openai` SDK, unchanged,
 * against a real node:http server: multipart uploads as the SDK builds them, server-sent events
 * as the SDK parses them, and the refusals a new user would meet, each audited exactly once.
 */
const KEY = 'pg-sdk-edits-key-0123456789abcdef';
const LIMIT = { maxBytes: 16 * 1024, maxPixels: 512 * 512 };

/** Edits with several images and a mask, varies, streams. */
const EDITOR = {
  ...MOCK_MODEL,
  id: 'editor',
  aliases: [],
  capabilities: {
    ...MOCK_MODEL.capabilities,
    edit: {
      maxImages: 16,
      input: LIMIT,
      mask: { convention: 'alpha' as const },
      inputFidelity: ['low' as const, 'high' as const],
    },
    variation: { input: LIMIT },
    stream: { maxPartialImages: 3 },
  },
};
/** Edits one image without a mask; cannot stream. */
const PLAIN = {
  ...MOCK_MODEL,
  id: 'plain',
  aliases: [],
  capabilities: { ...MOCK_MODEL.capabilities, edit: { input: LIMIT } },
};

let holdNext: ((context: ProviderCallContext) => Promise<ProviderResult>) | undefined;
const seen: Array<{ operation: string; images: number; mask: boolean; partialImages?: number }> = [];

/** Draws a solid PNG per image, reporting the partial images a stream asked for first. */
async function draw(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
  seen.push({
    operation: call.operation,
    images: call.images?.length ?? 0,
    mask: call.mask !== undefined,
    ...(call.partialImages === undefined ? {} : { partialImages: call.partialImages }),
  });
  if (holdNext) {
    const hold = holdNext;
    holdNext = undefined;
    return hold(context);
  }
  const bytes = solidPng(256, 256);
  for (let index = 0; index < (call.partialImages ?? 0); index++) {
    context.onPartialImage?.({ partialImageIndex: index, imageIndex: 0, bytes, mediaType: 'image/png' });
  }
  return { images: Array.from({ length: call.n }, () => ({ bytes, mediaType: 'image/png' })) };
}

let gateway: Gateway;
let server: ListeningServer;
let client: OpenAI;
const audit = new MemoryAuditSink();

beforeAll(async () => {
  const mock = createMockImageProvider({
    models: [EDITOR, PLAIN],
    generate: draw,
    edit: draw,
    createVariation: draw,
  });
  gateway = createGateway({
    providers: [mock],
    auditSink: audit,
  });
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({
      keys: [{ id: 'sdk', hash: hashApiKey(KEY), tenantId: 'sdk-tenant' }],
    }),
    uploads: { maxFileBytes: 64 * 1024, maxTotalBytes: 1024 * 1024 },
  });
  server = await listen(handler, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0, timeout: 20_000 });
});

afterAll(async () => {
  await server?.close();
  await gateway?.close();
});

beforeEach(() => {
  seen.length = 0;
  audit.records.length = 0;
});

const png = (side: number, name = `image-${side}.png`) =>
  toFile(Buffer.from(solidPng(side, side)), name, { type: 'image/png' });

async function caught(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('images.edit and images.createVariation through the official SDK', () => {
  it('edits one image', async () => {
    const result = await client.images.edit({
      model: 'editor',
      image: await png(128),
      prompt: 'add a red boat',
    });
    expect(result.data).toHaveLength(1);
    expect(sniffImage(Buffer.from(result.data?.[0]?.b64_json ?? '', 'base64'))).toMatchObject({
      mediaType: 'image/png',
    });
    expect([result.size, result.output_format]).toEqual(['256x256', 'png']);
    expect(seen).toEqual([{ operation: 'edit', images: 1, mask: false }]);
    expect(audit.records).toHaveLength(1);
  });

  it('edits several images with a mask', async () => {
    const result = await client.images.edit({
      model: 'editor',
      image: [await png(128, 'a.png'), await png(64, 'b.png'), await png(32, 'c.png')],
      mask: await toFile(Buffer.from(maskPng(128, 128, 'alpha')), 'mask.png', { type: 'image/png' }),
      prompt: 'put the three together',
      input_fidelity: 'high',
      n: 2,
    });
    expect(result.data).toHaveLength(2);
    expect(seen).toEqual([{ operation: 'edit', images: 3, mask: true }]);
    expect(audit.records).toHaveLength(1);
  });

  it('streams an edit: partial image events, then the completed event', async () => {
    const stream = await client.images.edit({
      model: 'editor',
      image: await png(128),
      prompt: 'x',
      stream: true,
      partial_images: 1,
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      expect(sniffImage(Buffer.from(event.b64_json, 'base64'))?.mediaType).toBe('image/png');
    }
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    expect(audit.records).toHaveLength(1);
  });

  it('creates variations', async () => {
    const result = await client.images.createVariation({ model: 'editor', image: await png(128), n: 2 });
    expect(result.data).toHaveLength(2);
    expect(seen.map((call) => call.operation)).toEqual(['variation']);
  });

  it('streams a generation with partial_images: 2, reading every event', async () => {
    const stream = await client.images.generate({
      model: 'editor',
      prompt: 'a lighthouse',
      stream: true,
      partial_images: 2,
    });
    const events: Array<{ type: string; index?: number; size: string }> = [];
    for await (const event of stream) {
      events.push({
        type: event.type,
        size: event.size,
        ...(event.type === 'image_generation.partial_image' ? { index: event.partial_image_index } : {}),
      });
    }
    expect(events).toEqual([
      { type: 'image_generation.partial_image', index: 0, size: '256x256' },
      { type: 'image_generation.partial_image', index: 1, size: '256x256' },
      { type: 'image_generation.completed', size: '256x256' },
    ]);
    expect(seen).toEqual([{ operation: 'generate', images: 0, mask: false, partialImages: 2 }]);
    expect(audit.records).toHaveLength(1);
  });

  it('aborts the upstream call when the client leaves a stream, with one audit record', async () => {
    let providerSawAbort!: () => void;
    const aborted = new Promise<void>((resolve) => {
      providerSawAbort = resolve;
    });
    holdNext = (context) => {
      context.onPartialImage?.({
        partialImageIndex: 0,
        imageIndex: 0,
        bytes: solidPng(256, 256),
        mediaType: 'image/png',
      });
      return new Promise((_resolve, reject) => {
        context.signal.addEventListener('abort', () => {
          providerSawAbort();
          reject(context.signal.reason);
        });
      });
    };
    const ended = new Promise<void>((resolve) => gateway.events.once('request-end', () => resolve()));
    const stream = await client.images.generate({
      model: 'editor',
      prompt: 'x',
      stream: true,
      partial_images: 2,
    });
    for await (const event of stream) {
      expect(event.type).toBe('image_generation.partial_image');
      break; // leaving the loop closes the connection
    }
    await aborted;
    await ended;
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.error?.code).toBe('ABORTED');
  });
});

describe('bad input through the SDK: a 400 naming the field, and one audit record each', () => {
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    [
      'a file that is not an image',
      async () =>
        client.images.edit({
          model: 'editor',
          image: await toFile(Buffer.from('plain text'), 'notes.png', { type: 'image/png' }),
          prompt: 'x',
        }),
      'image',
    ],
    [
      "a file over the model's byte limit",
      async () =>
        client.images.edit({
          model: 'editor',
          image: await toFile(
            Buffer.concat([Buffer.from(solidPng(64, 64)), Buffer.alloc(LIMIT.maxBytes)]),
            'big.png',
            { type: 'image/png' },
          ),
          prompt: 'x',
        }),
      'image',
    ],
    [
      '17 images',
      async () =>
        client.images.edit({
          model: 'editor',
          image: await Promise.all(Array.from({ length: 17 }, () => png(16))),
          prompt: 'x',
        }),
      'image',
    ],
    [
      'a mask of the wrong size',
      async () =>
        client.images.edit({
          model: 'editor',
          image: await png(128),
          mask: await toFile(Buffer.from(maskPng(64, 64, 'alpha')), 'mask.png', { type: 'image/png' }),
          prompt: 'x',
        }),
      'mask',
    ],
    [
      'a mask on a model that takes none',
      async () =>
        client.images.edit({
          model: 'plain',
          image: await png(128),
          mask: await toFile(Buffer.from(maskPng(128, 128, 'alpha')), 'mask.png', { type: 'image/png' }),
          prompt: 'x',
        }),
      'mask',
    ],
    [
      'stream on a model that cannot stream (strict)',
      async () => client.images.generate({ model: 'plain', prompt: 'x', stream: true }),
      'stream',
    ],
  ];

  it.each(cases)('%s', async (_name, run, param) => {
    const error = await caught(run());
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.status, error.param]).toEqual([400, param]);
    expect(seen).toEqual([]);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.outcome).toBe('rejected');
  });

  it('a file over the server upload limit: 413 while streaming it in, one audit record', async () => {
    const error = await caught(
      client.images.edit({
        model: 'editor',
        image: await toFile(Buffer.alloc(128 * 1024), 'huge.png', { type: 'image/png' }),
        prompt: 'x',
      }),
    );
    expect([error.status, error.param]).toEqual([413, 'image']);
    expect(audit.records).toHaveLength(1);
  });
});

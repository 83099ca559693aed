import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import type { GatewayOptions } from '../gateway/gateway-options.ts';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderResult,
} from '../provider/image-provider.ts';
import { parseSize } from '../shared/image-size.ts';
import { maskPng } from '../testing/mask-png.ts';
import { MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { solidPng } from '../testing/solid-png.ts';
import { createApiKeyAuthenticator } from './api-key-authenticator.ts';
import { createHttpHandler, type FetchHandler, type HttpHandlerOptions } from './http-handler.ts';

/**
 * The edits, variations and streaming routes over the fetch handler, with a provider that edits,
 * varies and streams partial images, and records every call it gets.
 */
const KEY = 'pg-test-key-uploads-0123456789';
const ORIGIN = 'http://gateway.test';

const EDITOR: ModelDescriptorInput = {
  ...MOCK_MODEL,
  id: 'editor',
  aliases: [],
  capabilities: {
    ...MOCK_MODEL.capabilities,
    edit: {
      maxImages: 16,
      input: { maxBytes: 64 * 1024, maxPixels: 1024 * 1024 },
      mask: { convention: 'alpha' },
      inputFidelity: ['low', 'high'],
    },
    variation: { input: { maxBytes: 64 * 1024, maxPixels: 1024 * 1024 } },
    stream: { maxPartialImages: 3 },
  },
};
/** Edits without a mask, and cannot stream. */
const PLAIN: ModelDescriptorInput = {
  ...MOCK_MODEL,
  id: 'plain',
  aliases: [],
  capabilities: {
    ...MOCK_MODEL.capabilities,
    edit: { maxImages: 1, input: { maxBytes: 64 * 1024, maxPixels: 1024 * 1024 } },
  },
};

interface RecordedCall {
  method: 'generate' | 'edit' | 'createVariation';
  call: ProviderCall;
}

function images(call: ProviderCall, context: ProviderCallContext): ProviderResult {
  const size = parseSize(call.size ?? '') ?? { width: 64, height: 64 };
  const bytes = solidPng(size.width, size.height);
  for (let index = 0; index < (call.partialImages ?? 0); index++) {
    context.onPartialImage?.({ partialImageIndex: index, imageIndex: 0, bytes, mediaType: 'image/png' });
  }
  return { images: Array.from({ length: call.n }, () => ({ bytes, mediaType: 'image/png' })) };
}

function recordingProvider(hold?: (context: ProviderCallContext) => Promise<never>) {
  const calls: RecordedCall[] = [];
  const run =
    (method: RecordedCall['method']) => async (call: ProviderCall, context: ProviderCallContext) => {
      calls.push({ method, call });
      if (hold) return hold(context);
      return images(call, context);
    };
  const provider: ImageProvider = {
    specificationVersion: 'v1',
    id: 'mock',
    models: [EDITOR, PLAIN].map((model) => ({ ...model, provider: 'mock' })),
    generate: run('generate'),
    edit: run('edit'),
    createVariation: run('createVariation'),
  };
  return { provider, calls };
}

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function setup(
  options: {
    gateway?: Partial<GatewayOptions>;
    handler?: Partial<HttpHandlerOptions>;
    hold?: (context: ProviderCallContext) => Promise<never>;
  } = {},
): { handler: FetchHandler; audit: MemoryAuditSink; calls: RecordedCall[]; gateway: Gateway } {
  const audit = new MemoryAuditSink();
  const { provider, calls } = recordingProvider(options.hold);
  const gateway = createGateway({ providers: [provider], auditSink: audit, ...options.gateway });
  gateways.push(gateway);
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY, tenantId: 'tenant-u' }] }),
    ...options.handler,
  });
  return { handler, audit, calls, gateway };
}

const png = (side: number, name = `i${side}.png`) =>
  new File([new Uint8Array(solidPng(side, side))], name, { type: 'image/png' });

function form(path: string, build: (form: FormData) => void, signal?: AbortSignal): Request {
  const body = new FormData();
  build(body);
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
    body,
    ...(signal ? { signal } : {}),
  });
}

function json(path: string, value: unknown): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
type Json = Record<string, any>;

async function events(response: Response): Promise<Array<{ event: string; data: Json }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return {
        event: eventLine!.slice('event: '.length),
        data: JSON.parse(dataLine!.slice('data: '.length)) as Json,
      };
    });
}

describe('POST /v1/images/edits', () => {
  it('edits several images with a mask sent as the SDKs send them, and audits once', async () => {
    const { handler, audit, calls } = setup();
    const response = await handler(
      form('/v1/images/edits', (body) => {
        body.append('image[]', png(64, 'a.png'));
        body.append('image[]', png(32, 'b.png'));
        body.append(
          'mask',
          new File([new Uint8Array(maskPng(64, 64, 'alpha'))], 'mask.png', { type: 'image/png' }),
        );
        body.append('prompt', 'add a red boat');
        body.append('model', 'editor');
        body.append('n', '2');
        body.append('input_fidelity', 'high');
      }),
    );
    expect(response.status).toBe(200);
    const result = (await response.json()) as Json;
    expect(result.data).toHaveLength(2);
    expect(result.output_format).toBe('png');
    expect(calls.map((entry) => entry.method)).toEqual(['edit']);
    const call = calls[0]!.call;
    expect(call.images?.map((image) => [image.width, image.height])).toEqual([
      [64, 64],
      [32, 32],
    ]);
    expect([call.mask?.width, call.inputFidelity, call.prompt]).toEqual([64, 'high', 'add a red boat']);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.outcome).toBe('success');
  });

  it("takes OpenAI's JSON form with data URLs", async () => {
    const { handler, calls } = setup();
    const url = `data:image/png;base64,${Buffer.from(solidPng(48, 48)).toString('base64')}`;
    const mask = `data:image/png;base64,${Buffer.from(maskPng(48, 48, 'alpha')).toString('base64')}`;
    const response = await handler(
      json('/v1/images/edits', {
        model: 'editor',
        prompt: 'x',
        images: [{ image_url: url }],
        mask: { image_url: mask },
      }),
    );
    expect(response.status, await response.clone().text()).toBe(200);
    expect(calls[0]!.call.images?.[0]?.width).toBe(48);
  });

  it.each([
    [
      'a file_id (no files API)',
      json('/v1/images/edits', { model: 'editor', prompt: 'x', images: [{ file_id: 'file-1' }] }),
      400,
      'images[0].file_id',
    ],
    [
      '17 images',
      form('/v1/images/edits', (body) => {
        for (let index = 0; index < 17; index++) body.append('image[]', png(16));
        body.append('prompt', 'x');
        body.append('model', 'editor');
      }),
      400,
      'image',
    ],
    [
      'a number that is not one',
      form('/v1/images/edits', (body) => {
        body.append('image', png(16));
        body.append('prompt', 'x');
        body.append('n', 'two');
      }),
      400,
      'n',
    ],
    [
      'a non-image file',
      form('/v1/images/edits', (body) => {
        body.append('image', new File(['just text'], 'notes.png', { type: 'image/png' }));
        body.append('prompt', 'x');
        body.append('model', 'editor');
      }),
      400,
      'image',
    ],
  ])('refuses %s naming the field, with one audit record', async (_name, request, status, param) => {
    const { handler, audit, calls } = setup();
    const response = await handler(request);
    expect(response.status).toBe(status);
    expect(((await response.json()) as Json).error.param).toBe(param);
    expect(calls).toHaveLength(0);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.outcome).toBe('rejected');
  });

  it('refuses a file over the upload limit while reading it: 413 naming the field, one audit record', async () => {
    const { handler, audit } = setup({
      handler: { uploads: { maxFileBytes: 2048, maxTotalBytes: 64 * 1024 } },
    });
    const response = await handler(
      form('/v1/images/edits', (body) => {
        body.append('prompt', 'x');
        body.append('image', new File([new Uint8Array(4096)], 'big.png', { type: 'image/png' }));
      }),
    );
    expect(response.status).toBe(413);
    const error = ((await response.json()) as Json).error;
    expect([error.code, error.param]).toEqual(['payload_too_large', 'image']);
    expect(error.message).toContain('2048 bytes');
    expect(audit.records).toHaveLength(1);
  });

  it('refuses a body that is neither multipart nor JSON with 415 naming both', async () => {
    const { handler, audit } = setup();
    const response = await handler(
      new Request(`${ORIGIN}/v1/images/edits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/plain' },
        body: 'edit it',
      }),
    );
    expect(response.status).toBe(415);
    expect(((await response.json()) as Json).error.message).toContain('multipart/form-data');
    expect(audit.records).toHaveLength(1);
  });
});

describe('streaming', () => {
  it('streams a generation: two partial images, then the completed event with the settings', async () => {
    const { handler, audit } = setup();
    const response = await handler(
      json('/v1/images/generations', {
        model: 'editor',
        prompt: 'x',
        stream: true,
        partial_images: 2,
        size: '256x256',
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const all = await events(response);
    expect(all.map((event) => event.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    expect(all.map((event) => event.data.partial_image_index)).toEqual([0, 1, undefined]);
    expect(all[2]!.data).toMatchObject({
      type: 'image_generation.completed',
      size: '256x256',
      output_format: 'png',
    });
    expect(typeof all[2]!.data.b64_json).toBe('string');
    expect(audit.records).toHaveLength(1);
  });

  it('never stores partial images: one storage put for the one final image', async () => {
    const { handler, gateway } = setup();
    let puts = 0;
    gateway.events.on('storage-put', () => {
      puts++;
    });
    const response = await handler(
      json('/v1/images/generations', { model: 'editor', prompt: 'x', stream: true, partial_images: 3 }),
    );
    const all = await events(response);
    expect(all.filter((event) => event.event.endsWith('.partial_image'))).toHaveLength(3);
    expect(puts).toBe(1);
  });

  it('streams on the native route: native image fields, the request facts on the last completed event', async () => {
    const { handler } = setup();
    const response = await handler(
      json('/v1/inference/images/generate', {
        model: 'mock/editor',
        prompt: 'x',
        stream: true,
        partial_images: 1,
        metadata: { ticket: 'T-9' },
      }),
    );
    const all = await events(response);
    expect(all.map((event) => event.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    expect(all[1]!.data).toMatchObject({
      media_type: 'image/png',
      model: 'mock/editor',
      metadata: { ticket: 'T-9' },
    });
    expect(all[1]!.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(all[1]!.data.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('streams an edit with image_edit events', async () => {
    const { handler } = setup();
    const response = await handler(
      form('/v1/images/edits', (body) => {
        body.append('image', png(64));
        body.append('prompt', 'x');
        body.append('model', 'editor');
        body.append('stream', 'true');
        body.append('partial_images', '1');
      }),
    );
    const all = await events(response);
    expect(all.map((event) => event.event)).toEqual(['image_edit.partial_image', 'image_edit.completed']);
  });

  it('refuses a stream before the first byte as plain JSON (strict: the model cannot stream)', async () => {
    const { handler, audit, calls } = setup();
    const response = await handler(
      json('/v1/images/generations', { model: 'plain', prompt: 'x', stream: true }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(((await response.json()) as Json).error.param).toBe('stream');
    expect(calls).toHaveLength(0);
    expect(audit.records).toHaveLength(1);
  });

  it('aborts the upstream call when the client goes away, with exactly one audit record', async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    let started!: () => void;
    const providerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { handler, audit, gateway } = setup({
      hold: (context) =>
        new Promise<never>((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            aborted();
            reject(context.signal.reason);
          });
          started();
        }),
    });
    const ended = new Promise<void>((resolve) => gateway.events.once('request-end', () => resolve()));
    const controller = new AbortController();
    const request = new Request(`${ORIGIN}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'editor', prompt: 'x', stream: true, partial_images: 1 }),
      signal: controller.signal,
    });
    const pending = handler(request);
    await providerStarted;
    controller.abort();
    await sawAbort;
    await pending;
    await ended;
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.error?.code).toBe('ABORTED');
  });
});

describe('variations and the native routes', () => {
  it('makes variations of one uploaded image', async () => {
    const { handler, calls } = setup();
    const response = await handler(
      form('/v1/images/variations', (body) => {
        body.append('image', png(64));
        body.append('model', 'editor');
        body.append('n', '2');
      }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).data).toHaveLength(2);
    expect(calls.map((entry) => entry.method)).toEqual(['createVariation']);
  });

  it('edits on the native route with metadata, in the native envelope; an unqualified model is refused', async () => {
    const { handler, audit } = setup();
    const response = await handler(
      form('/v1/inference/images/edit', (body) => {
        body.append('image', png(64));
        body.append('prompt', 'x');
        body.append('model', 'mock/editor');
        body.append('metadata', JSON.stringify({ ticket: 'T-1' }));
      }),
    );
    expect(response.status).toBe(200);
    const native = (await response.json()) as Json;
    expect([native.model, native.metadata, native.data[0].media_type]).toEqual([
      'mock/editor',
      { ticket: 'T-1' },
      'image/png',
    ]);
    const refused = await handler(
      form('/v1/inference/images/variation', (body) => {
        body.append('image', png(64));
        body.append('model', 'editor');
      }),
    );
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Json).error).toMatchObject({
      code: 'VALIDATION_ERROR',
      param: 'model',
    });
    expect(audit.records).toHaveLength(2);
  });
});

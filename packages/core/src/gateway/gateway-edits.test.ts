import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../audit/audit-record.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { ModelDescriptorInput } from '../models/model-descriptor.ts';
import type { ProviderCall } from '../provider/image-provider.ts';
import { createMockImageProvider, MOCK_EDIT_MODEL, MOCK_MODEL } from '../testing/mock-image-provider.ts';
import { solidPng } from '../testing/solid-png.ts';
import { createGateway, type Gateway } from './create-gateway.ts';
import type { GatewayOptions } from './gateway-options.ts';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

/** MOCK_EDIT_MODEL reading `luminance` masks (white = edit), as Stability and Imagen do. */
const LUMINANCE_MODEL: ModelDescriptorInput = {
  ...MOCK_EDIT_MODEL,
  id: 'mock-luminance',
  aliases: [],
  capabilities: {
    ...MOCK_EDIT_MODEL.capabilities,
    edit: { ...MOCK_EDIT_MODEL.capabilities.edit!, mask: { convention: 'luminance' } },
  },
};

/** An edit model that takes no mask. */
const MASKLESS_MODEL: ModelDescriptorInput = {
  ...MOCK_EDIT_MODEL,
  id: 'mock-maskless',
  aliases: [],
  capabilities: {
    ...MOCK_EDIT_MODEL.capabilities,
    edit: { maxImages: 1, input: MOCK_EDIT_MODEL.capabilities.edit!.input },
  },
};

function setup(options: Partial<GatewayOptions> = {}) {
  const provider = createMockImageProvider({
    models: [MOCK_MODEL, MOCK_EDIT_MODEL, LUMINANCE_MODEL, MASKLESS_MODEL],
  });
  const audit = new MemoryAuditSink();
  const gateway = createGateway({ providers: [provider], auditSink: audit, ...options });
  gateways.push(gateway);
  return { gateway, provider, audit };
}

/** A PNG mask whose left half is transparent (edit) and right half opaque (keep). */
async function alphaMask(width: number, height: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw[(y * width + x) * 4 + 3] = x < width / 2 ? 0 : 255;
  return sharp(raw, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** A greyscale mask whose left half is white (edit) and right half black (keep). */
async function luminanceMask(width: number, height: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw[y * width + x] = x < width / 2 ? 255 : 0;
  return sharp(raw, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: GatewayError) => error,
  );
}

const image = solidPng(64, 64);
const base64 = Buffer.from(image).toString('base64');

describe('gateway.edit', () => {
  it('edits one image: the plugin gets the checked image, the record its facts (never its bytes)', async () => {
    const { gateway, provider, audit } = setup();
    const result = await gateway.edit({ model: 'mock-edit', prompt: 'add a hat', image });
    expect(result.images).toHaveLength(1);
    const call = provider.calls[0]!.call;
    expect(call.operation).toBe('edit');
    expect(call.images).toHaveLength(1);
    expect(call.images![0]).toMatchObject({
      mediaType: 'image/png',
      width: 64,
      height: 64,
      filename: 'image-0.png',
    });
    expect(audit.records).toHaveLength(1);
    const record = audit.records[0]!;
    expect(record.operation).toBe('edit');
    expect(record.inputImages).toEqual([
      {
        field: 'image',
        sha256: call.images![0]!.sha256,
        sizeBytes: image.byteLength,
        mediaType: 'image/png',
        width: 64,
        height: 64,
      },
    ]);
    expect(JSON.stringify(record)).not.toContain(base64.slice(0, 40));
    expect(record.parameters).not.toHaveProperty('image');
    expect(record.cost?.estimatedUsd).toBe(0.05); // the edit price row, not the generation one
    expect(auditRecordSchema.parse(record)).toEqual(record);
  });

  it('takes several images as data URLs and objects, with an alpha mask sent as is', async () => {
    const { gateway, provider, audit } = setup();
    const mask = await alphaMask(64, 64);
    await gateway.edit({
      model: 'mock-edit',
      prompt: 'combine',
      image: [
        `data:image/png;base64,${base64}`,
        { data: solidPng(32, 32), media_type: 'image/png', filename: 'b.png' },
      ],
      mask,
      input_fidelity: 'high',
    });
    const call = provider.calls[0]!.call;
    expect(call.images!.map((i) => i.width)).toEqual([64, 32]);
    expect(call.mask).toMatchObject({ convention: 'alpha', width: 64, height: 64 });
    expect(Buffer.from(call.mask!.bytes).equals(Buffer.from(mask))).toBe(true);
    expect(call.inputFidelity).toBe('high');
    expect(audit.records[0]!.inputImages!.map((i) => i.field)).toEqual(['image[0]', 'image[1]', 'mask']);
    expect(audit.records[0]!.warnings).toEqual([]);
  });

  it('converts an alpha mask to luminance for a model that reads white as edit (checked on pixels)', async () => {
    const { gateway, provider, audit } = setup();
    const result = await gateway.edit({
      model: 'mock-luminance',
      prompt: 'x',
      image,
      mask: await alphaMask(64, 64),
    });
    const sent = provider.calls[0]!.call.mask!;
    expect(sent.convention).toBe('luminance');
    const { data, info } = await sharp(sent.bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(data[(10 * info.width + 5) * info.channels]).toBe(255); // transparent (edit) → white
    expect(data[(10 * info.width + 60) * info.channels]).toBe(0); // opaque (keep) → black
    expect(result.warnings.map((w) => w.type)).toContain('mask_converted');
    expect(audit.records[0]!.warnings.find((w) => w.type === 'mask_converted')).toMatchObject({
      from: 'alpha',
      to: 'luminance',
    });
  });

  it('converts a luminance mask (mask_convention) to alpha for an OpenAI-style model (checked on pixels)', async () => {
    const { gateway, provider } = setup();
    await gateway.edit({
      model: 'mock-edit',
      prompt: 'x',
      image,
      mask: await luminanceMask(64, 64),
      mask_convention: 'luminance',
    });
    const sent = provider.calls[0]!.call.mask!;
    expect(sent.convention).toBe('alpha');
    const { data, info } = await sharp(sent.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(data[(10 * info.width + 5) * 4 + 3]).toBe(0); // white (edit) → transparent
    expect(data[(10 * info.width + 60) * 4 + 3]).toBe(255); // black (keep) → opaque
  });

  const refusals: Array<{
    name: string;
    input: () => Promise<Record<string, unknown>>;
    param: string;
    says: RegExp;
  }> = [
    {
      name: 'a model that cannot edit',
      input: async () => ({ model: 'mock', prompt: 'x', image }),
      param: 'model',
      says: /cannot edit.*mock\/mock-edit/,
    },
    {
      name: 'more images than the model takes',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image: Array(5).fill(image) }),
      param: 'image',
      says: /at most 4/,
    },
    {
      name: '17 images',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image: Array(17).fill(image) }),
      param: 'image',
      says: /at most 16/,
    },
    {
      name: 'a file that is not an image',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image: new TextEncoder().encode('%PDF-1.7') }),
      param: 'image',
      says: /not an image/,
    },
    {
      name: 'an image over the byte limit',
      input: async () => ({
        model: 'mock-edit',
        prompt: 'x',
        image: [image, new Uint8Array(5 * 1024 * 1024).fill(1)],
      }),
      param: 'image[1]',
      says: /bytes/,
    },
    {
      name: 'a declared type that lies',
      input: async () => ({
        model: 'mock-edit',
        prompt: 'x',
        image: { data: image, media_type: 'image/jpeg' },
      }),
      param: 'image',
      says: /sent as image\/jpeg/,
    },
    {
      name: 'an http URL',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image: 'https://example.com/a.png' }),
      param: 'image',
      says: /does not download/,
    },
    {
      name: 'a mask of the wrong size',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image, mask: await alphaMask(32, 32) }),
      param: 'mask',
      says: /same size/,
    },
    {
      name: 'a mask on a model that takes none',
      input: async () => ({ model: 'mock-maskless', prompt: 'x', image, mask: await alphaMask(64, 64) }),
      param: 'mask',
      says: /without a mask/,
    },
    {
      name: 'an alpha mask without transparency',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image, mask: solidPng(64, 64) }),
      param: 'mask',
      says: /alpha channel/,
    },
    {
      name: 'an input_fidelity the model lacks',
      input: async () => ({ model: 'mock-maskless', prompt: 'x', image, input_fidelity: 'low' }),
      param: 'input_fidelity',
      says: /input_fidelity/,
    },
    {
      name: 'an unknown field',
      input: async () => ({ model: 'mock-edit', prompt: 'x', image, strength: 2 }),
      param: 'strength',
      says: /./,
    },
  ];
  for (const { name, input, param, says } of refusals) {
    it(`refuses ${name} before any call, naming '${param}', with one audit record`, async () => {
      const { gateway, provider, audit } = setup();
      const error = await refusal(gateway.edit(await input()));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.param).toBe(param);
      expect(error.message).toMatch(says);
      expect(error.message).not.toContain(base64.slice(0, 20));
      expect(provider.calls).toHaveLength(0);
      expect(audit.records).toHaveLength(1);
      expect(audit.records[0]).toMatchObject({ operation: 'edit', outcome: 'rejected', error: { param } });
      expect(auditRecordSchema.safeParse(audit.records[0]).success).toBe(true);
    });
  }

  it('drops an unsupported input_fidelity with a warning under coerce', async () => {
    const { gateway, provider } = setup({ capabilityPolicy: 'coerce' });
    const result = await gateway.edit({ model: 'mock-maskless', prompt: 'x', image, input_fidelity: 'low' });
    expect(provider.calls[0]!.call.inputFidelity).toBeUndefined();
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ type: 'unsupported', param: 'input_fidelity' }),
    );
  });

  it('runs the input guardrails on the prompt of an edit', async () => {
    const { createBlocklistGuardrail } = await import('../guardrails/index.ts');
    const { gateway, provider, audit } = setup({
      guardrails: [createBlocklistGuardrail({ terms: ['forbidden'] })],
    });
    const error = await refusal(gateway.edit({ model: 'mock-edit', prompt: 'a forbidden hat', image }));
    expect(error.code).toBe('CONTENT_BLOCKED');
    expect(provider.calls).toHaveLength(0);
    expect(audit.records).toHaveLength(1);
  });

  it('splits n like generation and prices each image at the edit price', async () => {
    const { gateway, provider } = setup();
    const result = await gateway.edit({ model: 'mock-edit', prompt: 'x', image, n: 6 });
    expect(provider.calls.map((c) => c.call.n).sort()).toEqual([2, 4]);
    expect(provider.calls.every((c: { call: ProviderCall }) => c.call.images?.length === 1)).toBe(true);
    expect(result.cost.actualUsd).toBeCloseTo(0.3);
  });
});

describe('gateway.createVariation', () => {
  it('varies one square image through createVariation, without a prompt in the record', async () => {
    const { gateway, provider, audit } = setup();
    const result = await gateway.createVariation({ model: 'mock-edit', image, n: 2, size: '256x256' });
    expect(result.images).toHaveLength(2);
    expect(provider.calls[0]!.call).toMatchObject({ operation: 'variation', prompt: '', n: 2 });
    expect(audit.records[0]).toMatchObject({
      operation: 'variation',
      outcome: 'success',
      cost: { estimatedUsd: 0.04 },
    });
    expect(audit.records[0]!.prompt).toBeUndefined();
    expect(audit.records[0]!.inputImages![0]!.field).toBe('image');
  });

  it('refuses a non-square image, a prompt, and a model without variations, each naming the field', async () => {
    const { gateway, provider, audit } = setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: 'mock-edit', image: solidPng(64, 32) }, 'image'],
      [{ model: 'mock-edit', image, prompt: 'x' }, 'prompt'],
      [{ model: 'mock', image }, 'model'],
    ];
    for (const [input, param] of cases) {
      const error = await refusal(gateway.createVariation(input));
      expect([error.code, error.param]).toEqual(['VALIDATION_ERROR', param]);
    }
    expect(provider.calls).toHaveLength(0);
    expect(audit.records.map((r) => r.operation)).toEqual(['variation', 'variation', 'variation']);
  });
});

describe('edits under load and across fallbacks', () => {
  it('keeps one record per request and each request its own images when edits run concurrently', async () => {
    const { gateway, provider, audit } = setup();
    const inputs = Array.from({ length: 8 }, (_, index) => solidPng(16 + index * 8, 16 + index * 8));
    const results = await Promise.all(
      inputs.map((input, index) =>
        index % 2 === 0
          ? gateway.edit({ model: 'mock-edit', prompt: `edit ${index}`, image: input })
          : gateway.createVariation({ model: 'mock-edit', image: input }),
      ),
    );
    expect(audit.records).toHaveLength(8);
    const widthOf = (requestId: string) =>
      audit.records.find((r) => r.requestId === requestId)?.inputImages?.[0]?.width;
    expect(results.map((r) => widthOf(r.requestId))).toEqual(inputs.map((_, index) => 16 + index * 8));
    expect(new Set(audit.records.map((r) => r.requestId)).size).toBe(8);
    expect(provider.calls).toHaveLength(8);
  });

  it('converts the mask again for a fallback model of the other convention', async () => {
    const { BackendError } = await import('../errors/gateway-error.ts');
    const provider = createMockImageProvider({
      models: [MOCK_EDIT_MODEL, LUMINANCE_MODEL],
      edit: (call) => {
        if (call.model.id === 'mock-edit')
          throw new BackendError('down', { reason: 'upstream_unavailable', provider: 'mock' });
        return { images: [{ bytes: solidPng(256, 256), mediaType: 'image/png' }] };
      },
    });
    const audit = new MemoryAuditSink();
    const gateway = createGateway({
      providers: [provider],
      auditSink: audit,
      dispatch: { retry: { maxRetries: 0 }, fallbacks: { 'mock/mock-edit': ['mock/mock-luminance'] } },
    });
    gateways.push(gateway);
    const result = await gateway.edit({
      model: 'mock-edit',
      prompt: 'x',
      image,
      mask: await alphaMask(64, 64),
    });
    expect(provider.calls.map((c) => [c.call.model.id, c.call.mask?.convention])).toEqual([
      ['mock-edit', 'alpha'],
      ['mock-luminance', 'luminance'],
    ]);
    expect(result.model).toBe('mock/mock-luminance');
    expect(result.warnings.map((w) => w.type)).toEqual(
      expect.arrayContaining(['fallback', 'mask_converted']),
    );
    expect(audit.records).toHaveLength(1);
  });
});

describe('plugins that declare what they cannot do', () => {
  it('refuses at gateway creation a model declaring edit on a plugin without edit()', () => {
    const provider = createMockImageProvider({ models: [MOCK_EDIT_MODEL] });
    const { edit: _edit, ...withoutEdit } = provider;
    expect(() => createGateway({ providers: [withoutEdit] })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR', message: expect.stringMatching(/no edit\(\)/) }),
    );
  });
});

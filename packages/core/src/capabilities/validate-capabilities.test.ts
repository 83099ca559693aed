import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import {
  type ModelDescriptor,
  type ModelDescriptorInput,
  modelDescriptorSchema,
} from '../models/model-descriptor.ts';
import { type ImageRequest, imageRequestSchema } from '../request/image-request.ts';
import { type CapabilityPolicy, validateCapabilities } from './validate-capabilities.ts';

const base = {
  provider: 'test',
  capabilities: { maxImagesPerCall: 1, maxPromptLength: 100 },
} satisfies Partial<ModelDescriptorInput>;

const dalle3 = modelDescriptorSchema.parse({
  ...base,
  id: 'dall-e-3',
  capabilities: {
    ...base.capabilities,
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    qualities: ['standard', 'hd'],
    styles: ['vivid', 'natural'],
    maxImagesPerRequest: 1,
  },
  defaults: { size: '1024x1024', quality: 'standard', style: 'vivid' },
});
const ratioModel = modelDescriptorSchema.parse({
  ...base,
  id: 'ratio',
  capabilities: {
    ...base.capabilities,
    aspectRatios: { '1:1': '1024x1024', '16:9': '1344x768', '9:16': '768x1344', '3:2': '1216x832' },
    seed: true,
    negativePrompt: true,
    outputFormats: ['png', 'jpeg', 'webp'],
  },
  defaults: { aspectRatio: '1:1' },
});
const flexible = modelDescriptorSchema.parse({
  ...base,
  id: 'flex',
  capabilities: {
    ...base.capabilities,
    sizes: ['auto', '1024x1024'],
    sizeRule: {
      minSide: 16,
      maxSide: 3840,
      multipleOf: 16,
      maxPixels: 3840 * 2160,
      minAspectRatio: 1 / 3,
      maxAspectRatio: 3,
    },
    qualities: ['low', 'medium', 'high', 'auto'],
    outputFormats: ['png', 'jpeg', 'webp'],
    outputCompression: true,
    backgrounds: ['transparent', 'opaque', 'auto'],
  },
  defaults: { size: 'auto', quality: 'auto' },
});

function run(model: ModelDescriptor, request: Partial<ImageRequest>, policy: CapabilityPolicy = 'strict') {
  return validateCapabilities(imageRequestSchema.parse({ prompt: 'a cat', ...request }), model, policy);
}
function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('validateCapabilities', () => {
  it('fills the model defaults', () => {
    const { call, warnings } = run(dalle3, {});
    expect(call).toMatchObject({ size: '1024x1024', quality: 'standard', style: 'vivid', n: 1 });
    expect(warnings).toEqual([]);
  });

  it('strict: refuses an unsupported size naming the field and the accepted sizes', () => {
    const error = refusal(() => run(dalle3, { size: '256x256' }));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.param).toBe('size');
    expect(error.message).toContain('1792x1024');
    expect(error.details?.accepted).toEqual(['1024x1024', '1792x1024', '1024x1792']);
  });

  it('coerce: uses the nearest size and reports it', () => {
    const { call, warnings } = run(dalle3, { size: '1920x1080' }, 'coerce');
    expect(call.size).toBe('1792x1024');
    expect(warnings).toEqual([
      expect.objectContaining({ type: 'coerced', param: 'size', from: '1920x1080', to: '1792x1024' }),
    ]);
  });

  it('never reduces n, whatever the policy', () => {
    expect(refusal(() => run(dalle3, { n: 2 }, 'coerce')).param).toBe('n');
  });

  it('always enforces the prompt length', () => {
    const error = refusal(() => run(dalle3, { prompt: 'x'.repeat(101) }, 'coerce'));
    expect(error.param).toBe('prompt');
    expect(error.message).toContain('101');
  });

  it('maps quality across families only under coerce', () => {
    expect(refusal(() => run(flexible, { quality: 'hd' })).message).toContain(
      "'low', 'medium', 'high', 'auto'",
    );
    const { call, warnings } = run(flexible, { quality: 'hd' }, 'coerce');
    expect(call.quality).toBe('high');
    expect(warnings[0]).toMatchObject({ type: 'coerced', from: 'hd', to: 'high' });
  });

  it('refuses or reports settings a model lacks (style, seed, negative prompt)', () => {
    expect(refusal(() => run(flexible, { style: 'vivid' })).param).toBe('style');
    expect(refusal(() => run(dalle3, { seed: 42 })).param).toBe('seed');
    const { call, warnings } = run(dalle3, { seed: 42, negative_prompt: 'blur' }, 'coerce');
    expect(call.seed).toBeUndefined();
    expect(call.negativePrompt).toBeUndefined();
    expect(warnings.map((w) => w.param)).toEqual(['seed', 'negative_prompt']);
  });

  it('refuses under strict a size the model does not make, even with a ratio it draws (issue 20)', () => {
    const square = modelDescriptorSchema.parse({
      ...base,
      id: 'square',
      capabilities: { ...base.capabilities, aspectRatios: { '1:1': '1024x1024' } },
      defaults: { aspectRatio: '1:1' },
    });
    for (const size of ['4096x4096', '1000x1000', '512x512']) {
      const error = refusal(() => run(square, { size }));
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'size' });
      expect(error.message).toContain(`'${size}'`);
      expect(error.message).toContain("'1024x1024'");
      expect(error.details).toMatchObject({ accepted: ['1024x1024'], aspect_ratios: ['1:1'] });
      const coerced = run(square, { size }, 'coerce');
      expect(coerced.call).toMatchObject({ size: '1024x1024', aspectRatio: '1:1' });
      expect(coerced.warnings).toEqual([
        expect.objectContaining({ type: 'coerced', param: 'size', from: size, to: '1024x1024' }),
      ]);
    }
    const error = refusal(() => run(ratioModel, { size: '1920x1080' }));
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'size' });
    expect(error.message).toContain("'1344x768'");
    expect(run(square, { size: '1024x1024' }).warnings).toEqual([]);
  });

  it('maps sizes to ratios for ratio-based models', () => {
    expect(run(ratioModel, {}).call).toMatchObject({ size: '1024x1024', aspectRatio: '1:1' });
    expect(run(ratioModel, { size: '1344x768' }).call).toMatchObject({
      size: '1344x768',
      aspectRatio: '16:9',
    });
    // Same proportions, other pixels: a change of what the caller gets, so only under coerce.
    const sameRatio = run(ratioModel, { size: '1920x1080' }, 'coerce');
    expect(sameRatio.call).toMatchObject({ size: '1344x768', aspectRatio: '16:9' });
    expect(sameRatio.warnings[0]).toMatchObject({ type: 'coerced', param: 'size', to: '1344x768' });
    const error = refusal(() => run(ratioModel, { size: '1000x900' }));
    expect(error.message).toContain("'16:9'");
    expect(run(ratioModel, { size: '1000x900' }, 'coerce').call.aspectRatio).toBe('1:1');
    expect(run(ratioModel, { aspect_ratio: '9:16' }).call).toMatchObject({
      size: '768x1344',
      aspectRatio: '9:16',
    });
    expect(refusal(() => run(ratioModel, { aspect_ratio: '21:9' })).param).toBe('aspect_ratio');
    expect(run(ratioModel, { aspect_ratio: '21:9' }, 'coerce').call.aspectRatio).toBe('16:9');
  });

  it('refuses a size and an aspect ratio that contradict each other', () => {
    expect(refusal(() => run(ratioModel, { size: '1024x1024', aspect_ratio: '16:9' })).param).toBe(
      'aspect_ratio',
    );
  });

  it('accepts any size a rule allows, and explains a rule violation', () => {
    expect(run(flexible, { size: '2048x1152' }).call.size).toBe('2048x1152');
    expect(run(flexible, { size: 'auto' }).call.size).toBe('auto');
    expect(refusal(() => run(flexible, { size: '1000x1000' })).message).toContain('multiples of 16');
    expect(refusal(() => run(flexible, { size: '3840x3840' })).message).toContain('pixels');
    const snapped = run(flexible, { size: '1000x1000' }, 'coerce');
    expect(snapped.call.size).toBe('1008x1008');
    expect(run(flexible, { aspect_ratio: '16:9' }).call.size).toBe('1280x720');
  });

  it('checks output compression and transparency against the format', () => {
    expect(refusal(() => run(flexible, { output_compression: 50 })).param).toBe('output_compression');
    expect(run(flexible, { output_compression: 50, output_format: 'webp' }).call.outputCompression).toBe(50);
    expect(refusal(() => run(flexible, { background: 'transparent', output_format: 'jpeg' })).param).toBe(
      'background',
    );
    expect(refusal(() => run(dalle3, { background: 'transparent' })).param).toBe('background');
    expect(refusal(() => run(dalle3, { output_format: 'webp' })).message).toContain("'png'");
  });
});

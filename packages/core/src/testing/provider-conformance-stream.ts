import { expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ProviderOperation, ProviderPartialImage } from '../provider/image-provider.ts';
import { sniffImage } from '../shared/media-type.ts';
import { prepareOperationCall } from './conformance-operation-call.ts';
import { expectRealImages, kitModel } from './provider-conformance-edits.ts';
import { callContext, type KitState } from './provider-conformance-state.ts';

/** The operation and partial image count the stream checks use, or undefined when the model cannot stream. */
function streamPlan(state: KitState): { operation: ProviderOperation; partialImages: number } | undefined {
  const model = kitModel(state, 'stream');
  const stream = model.capabilities.stream;
  if (!stream || stream.maxPartialImages < 1) return undefined;
  const operation = stream.operations.includes('generate') ? 'generate' : 'edit';
  if (operation === 'edit' && !model.capabilities.edit) return undefined;
  return { operation, partialImages: Math.min(2, stream.maxPartialImages) };
}

/** Starts a streamed call of the plan, reporting partial images to `onPartialImage`. */
function startStream(
  state: KitState,
  plan: { operation: ProviderOperation; partialImages: number },
  onPartialImage: (partial: ProviderPartialImage) => void,
  signal?: AbortSignal,
) {
  const { provider } = state.harness;
  const call = prepareOperationCall(kitModel(state, 'stream'), plan.operation, {
    partialImages: plan.partialImages,
  });
  const method = plan.operation === 'edit' ? provider.edit!.bind(provider) : provider.generate.bind(provider);
  return { call, result: method(call, { ...callContext(signal), onPartialImage }) };
}

/**
 * Streaming, run only when the model declares `capabilities.stream`: partial images are reported
 * through `context.onPartialImage`, in order and before the call returns its final result; an
 * abort after the first partial image stops the call with ABORTED.
 */
export function describeStreamChecks(state: KitState): void {
  it('streams partial images in order, then returns the final result (models declaring stream)', async (context) => {
    const plan = streamPlan(state);
    if (!plan) return context.skip('no model declares stream');
    const partials: ProviderPartialImage[] = [];
    let returned = false;
    const { call, result } = startStream(state, plan, (partial) => {
      expect(returned, 'a partial image arrived after the call returned').toBe(false);
      partials.push(partial);
    });
    expect(call.partialImages).toBe(plan.partialImages);
    const final = await result;
    returned = true;
    expectRealImages(state, call, final);
    expect(partials.length, 'no partial image was reported').toBeGreaterThan(0);
    expect(partials.length).toBeLessThanOrEqual(plan.partialImages * call.n);
    for (const imageIndex of new Set(partials.map((p) => p.imageIndex))) {
      const indexes = partials.filter((p) => p.imageIndex === imageIndex).map((p) => p.partialImageIndex);
      expect(indexes).toEqual(indexes.map((_, position) => position));
    }
    for (const partial of partials) expect(sniffImage(partial.bytes)?.mediaType).toBe(partial.mediaType);
  });

  it('stops with ABORTED when aborted after the first partial image (models declaring stream)', async (context) => {
    const plan = streamPlan(state);
    if (!plan) return context.skip('no model declares stream');
    const controller = new AbortController();
    const { result } = startStream(state, plan, () => controller.abort(), controller.signal);
    const error = await result.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(GatewayError.isInstance(error), 'the call resolved after an abort').toBe(true);
    expect((error as GatewayError).code).toBe('ABORTED');
  });
}

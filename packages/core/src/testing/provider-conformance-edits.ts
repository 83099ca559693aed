import { expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createGateway } from '../gateway/create-gateway.ts';
import type { ModelDescriptor } from '../models/model-descriptor.ts';
import type { ProviderCall, ProviderResult } from '../provider/image-provider.ts';
import { sniffImage } from '../shared/media-type.ts';
import {
  conformanceInputSide,
  conformanceModel,
  prepareOperationCall,
} from './conformance-operation-call.ts';
import { maskPng } from './mask-png.ts';
import { callContext, type KitState } from './provider-conformance-state.ts';
import { solidPng } from './solid-png.ts';

/** The model a group of checks uses: the harness's own for it, else its main model. */
export function kitModel(state: KitState, which: 'edit' | 'variation' | 'stream'): ModelDescriptor {
  const { harness } = state;
  const id =
    (which === 'edit'
      ? harness.editModelId
      : which === 'variation'
        ? harness.variationModelId
        : harness.streamModelId) ?? harness.modelId;
  return conformanceModel(harness.provider, id);
}

/**
 * The call went upstream through `context.fetch`, only under `baseURL`; for a harness with
 * `upstream: 'none'`, it made no request at all (a fetch-less plugin that fetches is a defect too).
 */
export function expectUpstreamRequests(state: KitState): void {
  const { harness } = state;
  if (harness.upstream === 'none') {
    expect(state.urls, "a harness with upstream: 'none' must make no HTTP requests").toEqual([]);
    return;
  }
  expect(
    state.urls.length,
    'pass context.fetch to the provider factory so the kit can see upstream requests',
  ).toBeGreaterThan(0);
  for (const url of state.urls) {
    expect(url.startsWith(harness.baseURL), `${url} is outside ${harness.baseURL}`).toBe(true);
  }
}

/** The call returned `call.n` real images of the type it says, fetched only under `baseURL`. */
export function expectRealImages(state: KitState, call: ProviderCall, result: ProviderResult): void {
  expect(result.images.length).toBe(call.n);
  for (const image of result.images) {
    expect(sniffImage(image.bytes)?.mediaType).toBe(image.mediaType);
  }
  expectUpstreamRequests(state);
}

/**
 * Edits and variations, each run only when the model declares it (a skipped check says so): an
 * edit with one image, with several when `maxImages` > 1, with a mask in the declared convention,
 * a variation, and an edit through a gateway leaving one audit record with the input image facts.
 */
export function describeEditChecks(state: KitState): void {
  const edit = (options: Parameters<typeof prepareOperationCall>[2]) => {
    const model = kitModel(state, 'edit');
    const call = prepareOperationCall(model, 'edit', options);
    return { call, result: state.harness.provider.edit!(call, callContext()) };
  };

  it('edits one input image (models declaring capabilities.edit)', async (context) => {
    if (!kitModel(state, 'edit').capabilities.edit) return context.skip('no model declares edit');
    const { call, result } = edit({ images: 1 });
    expectRealImages(state, call, await result);
  });

  it('edits several input images (models whose edit.maxImages > 1)', async (context) => {
    const maxImages = kitModel(state, 'edit').capabilities.edit?.maxImages ?? 1;
    if (maxImages < 2) return context.skip('the edit model takes one input image');
    const { call, result } = edit({ images: Math.min(3, maxImages) });
    expectRealImages(state, call, await result);
  });

  it('edits with a mask in the declared convention (models declaring edit.mask)', async (context) => {
    if (!kitModel(state, 'edit').capabilities.edit?.mask) return context.skip('the edit model takes no mask');
    const { call, result } = edit({ images: 1, mask: true });
    expect(call.mask?.convention).toBe(kitModel(state, 'edit').capabilities.edit?.mask?.convention);
    expectRealImages(state, call, await result);
  });

  it('makes a variation of one image (models declaring capabilities.variation)', async (context) => {
    const model = kitModel(state, 'variation');
    if (!model.capabilities.variation) return context.skip('no model declares variation');
    const call = prepareOperationCall(model, 'variation');
    expectRealImages(state, call, await state.harness.provider.createVariation!(call, callContext()));
  });

  it('edits through a gateway with one audit record holding the input image facts', async (context) => {
    const model = kitModel(state, 'edit');
    if (!model.capabilities.edit) return context.skip('no model declares edit');
    const audit = new MemoryAuditSink();
    const gateway = createGateway({ providers: [state.harness.provider], auditSink: audit, guardrails: [] });
    const side = conformanceInputSide(model.capabilities.edit.input);
    const image = solidPng(side, side);
    // A model that requires a mask gets one, in its own convention (the caller says which).
    const mask = model.capabilities.edit.mask?.required ? model.capabilities.edit.mask.convention : undefined;
    try {
      const result = await gateway.edit({
        model: `${model.provider}/${model.id}`,
        prompt: 'a red hat',
        image,
        ...(mask ? { mask: maskPng(side, side, mask), mask_convention: mask } : {}),
      });
      expect(result.images.length).toBe(1);
      expect(audit.records).toHaveLength(1);
      const fields = audit.records[0]!.inputImages?.map((i) => [i.field, i.width]);
      expect(fields).toEqual(
        mask
          ? [
              ['image', side],
              ['mask', side],
            ]
          : [['image', side]],
      );
      expect(JSON.stringify(audit.records[0])).not.toContain(
        Buffer.from(image).toString('base64').slice(0, 40),
      );
    } finally {
      await gateway.close();
    }
  });
}

import { convertMask } from '../../capabilities/convert-mask.ts';
import { qualifiedModelId } from '../../models/model-descriptor.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import {
  addWarningOnce,
  eventBase,
  need,
  type PreparedModel,
  type RequestContext,
} from '../request-context.ts';
import type { Stage } from '../stage.ts';

/**
 * Converts an edit's mask to the convention of the model about to receive it (OpenAI's `alpha`
 * ↔ `luminance`), with sharp, and reports the conversion as a `mask_converted` warning. Nothing
 * to do (and no promise) when there is no mask or the conventions already match. Called for the
 * primary model here and for each fallback model by dispatch. The audit record keeps the facts of
 * the caller's mask (what was checked); the converted one is only sent.
 */
export function prepareInputsFor(
  ctx: RequestContext,
  deps: PipelineDeps,
  prepared: PreparedModel,
): void | Promise<void> {
  const conversion = prepared.maskConversion;
  const mask = prepared.call.mask;
  if (!conversion || !mask) return;
  return convertMask(mask, conversion.to).then((converted) => {
    prepared.call = { ...prepared.call, mask: converted };
    prepared.maskConversion = undefined;
    const warning = {
      type: 'mask_converted' as const,
      param: 'mask',
      message: `The mask was converted from the '${conversion.from}' convention to '${conversion.to}', the one '${qualifiedModelId(prepared.resolved.model)}' reads.`,
      from: conversion.from,
      to: conversion.to,
    };
    if (addWarningOnce(ctx, warning)) deps.events.emit('capability-warning', { ...eventBase(ctx), warning });
  });
}

/** prepare inputs: the primary model's mask in its convention, before rate limits and budgets. */
export const prepareInputsStage: Stage = {
  name: 'prepare-inputs',
  timing: 'validate',
  run: (ctx, deps) => prepareInputsFor(ctx, deps, need(ctx.primary, 'primary')),
};

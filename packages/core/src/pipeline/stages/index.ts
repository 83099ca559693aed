import type { Stage } from '../stage.ts';
import { budgetReserveStage } from './budget-reserve.ts';
import { deliverStage } from './deliver.ts';
import { dispatchStage } from './dispatch.ts';
import { inputGuardrailsStage } from './input-guardrails.ts';
import { outputGuardrailsStage } from './output-guardrails.ts';
import { parseStage } from './parse.ts';
import { prepareInputsStage } from './prepare-inputs.ts';
import { rateLimitStage } from './rate-limit.ts';
import { resolveStage } from './resolve.ts';
import { settleStage } from './settle.ts';
import { storeStage } from './store.ts';

export {
  budgetReserveStage,
  deliverStage,
  dispatchStage,
  inputGuardrailsStage,
  outputGuardrailsStage,
  parseStage,
  prepareInputsStage,
  rateLimitStage,
  resolveStage,
  settleStage,
  storeStage,
};

/**
 * The stages of a request, in order, for every operation (generate, edit, variation): a stage that
 * differs per operation reads `ctx.operation`. The list is data: a new stage goes in with
 * `insertStageAfter(GENERATE_STAGES, 'output-guardrails', provenanceStage)`. That is where content
 * provenance (XMP + a signed C2PA manifest) belongs: after the last check of the bytes and before
 * they are hashed and stored, so the stored and delivered image is the one the manifest signs.
 */
export const GENERATE_STAGES: ReadonlyArray<Stage> = Object.freeze([
  parseStage,
  resolveStage,
  prepareInputsStage,
  rateLimitStage,
  inputGuardrailsStage,
  budgetReserveStage,
  dispatchStage,
  outputGuardrailsStage,
  // ← provenance
  storeStage,
  deliverStage,
  settleStage,
]);

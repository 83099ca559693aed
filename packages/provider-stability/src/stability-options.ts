/**
 * The `provider_options.stability` namespace: Stability-only settings, checked strictly (an
 * unknown key or a value out of range is a VALIDATION_ERROR naming the field) before any call.
 */
import { type GenerationWarning, type ProviderCall, validationError } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import {
  STABILITY_SD3_LEGACY_MODELS,
  STABILITY_SD3_MODELS,
  STABILITY_STYLE_PRESETS,
  STABILITY_V1_CLIP_GUIDANCE_PRESETS,
  STABILITY_V1_SAMPLERS,
  type StabilityProviderData,
} from './stability-catalog.ts';
import {
  STABILITY_EDIT_FACTS,
  STABILITY_EDIT_OPERATIONS,
  STABILITY_MAX_OUTPAINT,
} from './stability-edit-operations.ts';

const sd3ModelValues = [...STABILITY_SD3_MODELS, ...Object.keys(STABILITY_SD3_LEGACY_MODELS)] as [
  string,
  ...string[],
];

/**
 * Every Stability option, across both API families. Which of them a given model accepts is decided
 * per endpoint by `checkOptionsForEndpoint`, because one namespace serves all models.
 */
export const stabilityImageOptionsSchema = z.strictObject({
  /** A style preset (same as the request's `style`; give one or the other, or the same value). */
  style_preset: z.enum(STABILITY_STYLE_PRESETS).optional(),
  /** How strictly to follow the prompt. sd3 (default 4, Turbo and Flash 1) and v1 (0-35, default 7). */
  cfg_scale: z.number().min(0).max(35).optional(),
  /**
   * sd3 only: the `model` field. Must be the catalog model's own variant or the legacy id Stability
   * routes to it (`sd3-large` for `sd3.5-large`): pick another variant by choosing its model id, so
   * prices and capabilities follow the variant actually used.
   */
  model: z.enum(sd3ModelValues).optional(),
  /** v1 only: diffusion steps, 10-150 (default 50). */
  steps: z.number().int().min(10).max(150).optional(),
  /** v1 only: the sampler (chosen automatically when absent). */
  sampler: z.enum(STABILITY_V1_SAMPLERS).optional(),
  /** v1 only: CLIP guidance preset (default NONE). */
  clip_guidance_preset: z.enum(STABILITY_V1_CLIP_GUIDANCE_PRESETS).optional(),
  /** v1 only: must equal the width of the request's `size` (size decides; this only confirms). */
  width: z.number().int().min(128).multipleOf(64).optional(),
  /** v1 only: must equal the height of the request's `size`. */
  height: z.number().int().min(128).multipleOf(64).optional(),
  /** v1 only: must equal the call's image count (`n` decides; dispatch splits at 10 per call). */
  samples: z.number().int().min(1).max(10).optional(),
  /**
   * Edits: the native operation. Each operation has its own model (`stable-image-inpaint`,
   * `stable-image-outpaint`...), which decides the endpoint, price and checks; this field names the
   * operation explicitly and must agree with the model (a mismatch names the model to use).
   */
  edit_operation: z.enum(STABILITY_EDIT_OPERATIONS).optional(),
  /** inpaint (0-100, default 5), erase (0-20, default 5), search-and-replace (0-20, default 3): pixels the mask grows by, blurred. */
  grow_mask: z.number().int().min(0).max(100).optional(),
  /** outpaint: pixels to add on the left (0-2000; at least one direction is non-zero). */
  left: z.number().int().min(0).max(STABILITY_MAX_OUTPAINT).optional(),
  /** outpaint: pixels to add on the right (0-2000). */
  right: z.number().int().min(0).max(STABILITY_MAX_OUTPAINT).optional(),
  /** outpaint: pixels to add at the top (0-2000). */
  up: z.number().int().min(0).max(STABILITY_MAX_OUTPAINT).optional(),
  /** outpaint: pixels to add at the bottom (0-2000). */
  down: z.number().int().min(0).max(STABILITY_MAX_OUTPAINT).optional(),
  /** outpaint: how freely the new area is invented, 0-1 (default 0.5). */
  creativity: z.number().min(0).max(1).optional(),
  /** search-and-replace (required there): a short description of what to replace, e.g. `glasses`. */
  search_prompt: z.string().min(1).max(10_000).optional(),
});
/** Stability provider options as the caller writes them. */
export type StabilityImageOptions = z.infer<typeof stabilityImageOptionsSchema>;

type OptionName = keyof StabilityImageOptions;

const V2BETA_OPTIONS: Record<'ultra' | 'core' | 'sd3', readonly OptionName[]> = {
  ultra: ['style_preset'],
  core: ['style_preset'],
  sd3: ['style_preset', 'cfg_scale', 'model'],
};
const V1_OPTIONS: readonly OptionName[] = [
  'style_preset',
  'cfg_scale',
  'steps',
  'sampler',
  'clip_guidance_preset',
  'width',
  'height',
  'samples',
];

/** Option names that are multipart fields of the edit endpoints (style_preset is shared with generation). */
const EDIT_OPTIONS: readonly OptionName[] = [
  'style_preset',
  'grow_mask',
  'left',
  'right',
  'up',
  'down',
  'creativity',
  'search_prompt',
];

/** The options one endpoint understands (before the model's own `styles` are considered). */
export function optionsForEndpoint(data: StabilityProviderData): readonly OptionName[] {
  if (data.apiFamily === 'v1') return V1_OPTIONS;
  if (data.apiFamily === 'v2beta') return V2BETA_OPTIONS[data.endpointKind];
  const fields = STABILITY_EDIT_FACTS[data.operation].fields;
  return ['edit_operation', ...EDIT_OPTIONS.filter((name) => fields.includes(name))];
}

/** Where an endpoint is, in words, for messages. */
function endpointLabel(data: StabilityProviderData): string {
  if (data.apiFamily === 'v1') return 'the v1 API';
  if (data.apiFamily === 'v2beta') return `the v2beta ${data.endpointKind} endpoint`;
  return `the v2beta ${data.operation} edit endpoint`;
}

/**
 * Returns the first option the endpoint does not take, with the message to show, or undefined
 * when all are valid there. Kept separate from the schema so the check runs per model.
 */
export function checkOptionsForEndpoint(
  options: StabilityImageOptions,
  data: StabilityProviderData,
  modelStyles: readonly string[],
  modelLabel: string,
): { param: OptionName; message: string } | undefined {
  const allowed = optionsForEndpoint(data);
  for (const key of Object.keys(options) as OptionName[]) {
    if (options[key] === undefined) continue;
    if (!allowed.includes(key)) {
      return {
        param: key,
        message: `provider_options.stability.${key} is not accepted by ${endpointLabel(data)} (model '${modelLabel}'). Accepted there: ${allowed.join(', ') || 'none'}.`,
      };
    }
    if (key === 'style_preset' && !modelStyles.includes(options.style_preset!)) {
      return {
        param: key,
        message:
          modelStyles.length === 0
            ? `The model '${modelLabel}' declares no style presets; remove provider_options.stability.style_preset.`
            : `provider_options.stability.style_preset '${options.style_preset}' is not declared for '${modelLabel}'.`,
      };
    }
  }
  return undefined;
}

/** Parses `provider_options.<id>` strictly, naming the offending field in the VALIDATION_ERROR. */
export function parseStabilityOptions(call: ProviderCall, provider: string): StabilityImageOptions {
  const parsed = stabilityImageOptionsSchema.safeParse(call.providerOptions ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : ((issue as { keys?: string[] }).keys?.[0] ?? '');
  const param = `provider_options.${provider}${field ? `.${field}` : ''}`;
  throw validationError(param, `${param}: ${issue.message}`);
}

/** The style preset to send: the request's `style` or the option, which must agree when both are given. */
export function resolveStylePreset(
  call: ProviderCall,
  options: StabilityImageOptions,
  provider: string,
): string | undefined {
  if (call.style !== undefined && options.style_preset !== undefined && call.style !== options.style_preset) {
    throw validationError(
      `provider_options.${provider}.style_preset`,
      `style '${call.style}' and provider_options.${provider}.style_preset '${options.style_preset}' disagree; send one of them.`,
    );
  }
  return call.style ?? options.style_preset;
}

/** Stability reads seed 0 as "random": say so, since the caller may expect a fixed seed. */
export function seedWarnings(call: ProviderCall): GenerationWarning[] {
  if (call.seed !== 0) return [];
  return [
    {
      type: 'other',
      param: 'seed',
      message: 'Stability reads seed 0 as "random"; the seed actually used is reported with each image.',
    },
  ];
}

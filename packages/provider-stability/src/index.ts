/**
 * @pixelgate/provider-stability: Stability AI (v2beta Stable Image and legacy v1 SDXL) for pixelgate.
 * @packageDocumentation
 */
export {
  type AspectRatioSizes,
  DEFAULT_ASPECT_RATIO_SIZES,
  DEFAULT_CREDIT_PRICE_USD,
  SDXL_V1_SIZES,
  STABILITY_ASPECT_RATIOS,
  STABILITY_CREDITS_PER_IMAGE,
  STABILITY_MODELS,
  STABILITY_SD3_LEGACY_MODELS,
  STABILITY_SD3_MODELS,
  STABILITY_STYLE_PRESETS,
  STABILITY_V1_CLIP_GUIDANCE_PRESETS,
  STABILITY_V1_SAMPLERS,
  type StabilityCatalogOptions,
  type StabilityEndpoint,
  type StabilityProviderData,
  stabilityModels,
  stabilityProviderDataSchema,
} from './stability-catalog.ts';
export { stabilityEditModels } from './stability-edit-catalog.ts';
export {
  STABILITY_EDIT_FACTS,
  STABILITY_EDIT_OPERATIONS,
  type StabilityEditOperation,
  type StabilityEditOperationFacts,
  stabilityEditModelId,
} from './stability-edit-operations.ts';
export {
  mapStabilityError,
  STABILITY_RATE_LIMIT_LOCKOUT_MS,
  type StabilityErrorContext,
} from './stability-error.ts';
export type { StabilityModelId } from './stability-model-id.ts';
export { type StabilityImageOptions, stabilityImageOptionsSchema } from './stability-options.ts';
export {
  createStabilityProvider,
  STABILITY_CONTENT_FILTERED_LABEL,
  STABILITY_DEFAULT_BASE_URL,
  type StabilityContentFilterPolicy,
  type StabilityProviderSettings,
} from './stability-provider.ts';
export { VERSION } from './version.ts';

/**
 * @pixelgate/provider-fal: fal.ai image models for pixelgate through the queue API (submit,
 * status, result, cancel) and the synchronous endpoint, with host allow lists.
 * @packageDocumentation
 */

export { hostAllowed } from '@pixelgate/core/provider-utils';
export {
  FAL_IDEOGRAM_STYLES,
  FAL_IMAGE_SIZE_PRESETS,
  FAL_MODELS,
  FAL_OPTION_NAMES,
  FAL_RECRAFT_STYLES,
  type FalCatalogOptions,
  type FalProviderData,
  type FalProviderDataInput,
  falModels,
  falProviderDataSchema,
} from './fal-catalog.ts';
export {
  FAL_CONTENT_POLICY_TYPE,
  FAL_DEFAULT_RETRY_AFTER_MS,
  type FalErrorContext,
  mapFalError,
} from './fal-error.ts';
export { type FalOptions, falOptionsSchema } from './fal-options.ts';
export { FAL_NSFW_LABEL, type FalContentFilterPolicy } from './fal-output.ts';
export {
  createFalProvider,
  FAL_DEFAULT_QUEUE_HOSTS,
  FAL_DEFAULT_QUEUE_URL,
  FAL_DEFAULT_RESULT_HOSTS,
  FAL_DEFAULT_SYNC_URL,
  type FalProviderSettings,
} from './fal-provider.ts';

/**
 * @pixelgate/provider-bfl: Black Forest Labs (FLUX) for pixelgate, submit and poll with a host
 * allow list.
 * @packageDocumentation
 */

export { hostAllowed } from '@pixelgate/core/provider-utils';
export {
  BFL_DEFAULT_CREDIT_PRICE_USD,
  BFL_KONTEXT_RATIO_SIZES,
  BFL_MODELS,
  BFL_PRICES_USD,
  BFL_ULTRA_RATIO_SIZES,
  type BflCatalogOptions,
  type BflProviderData,
  bflModels,
  bflProviderDataSchema,
} from './bfl-catalog.ts';
export { BFL_DEFAULT_RETRY_AFTER_MS, type BflErrorContext, mapBflError } from './bfl-error.ts';
export { type BflOptions, bflOptionsSchema } from './bfl-options.ts';
export {
  BFL_DEFAULT_BASE_URL,
  BFL_DEFAULT_POLLING_HOSTS,
  BFL_DEFAULT_RESULT_HOSTS,
  type BflProviderSettings,
  createBflProvider,
} from './bfl-provider.ts';

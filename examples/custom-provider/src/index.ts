/**
 * The acme-images plugin, laid out as every pixelgate provider package is: factory, catalog,
 * options, API schemas, error mapping, and a fake server under `./testing`.
 */
export { type AcmeResponse, acmeErrorSchema, acmeResponseSchema } from './acme-api.ts';
export { ACME_MODELS } from './acme-catalog.ts';
export { mapAcmeError } from './acme-error.ts';
export { type AcmeProviderOptions, acmeProviderOptionsSchema } from './acme-options.ts';
export {
  ACME_DEFAULT_BASE_URL,
  type AcmeImagesProviderSettings,
  createAcmeImagesProvider,
} from './acme-provider.ts';

/**
 * `@pixelgate/core/provider-utils`: what provider-plugin authors use to talk to an upstream API
 * safely (capped, abortable fetches; strict body readers; one-pass base64; Retry-After; API keys;
 * redaction; image sniffing; size and price helpers) and the errors a plugin throws.
 * @packageDocumentation
 */
export { BACKEND_REASONS, type BackendReason } from './errors/error-codes.ts';
export {
  BackendError,
  type BackendErrorOptions,
  GatewayError,
  type GatewayErrorOptions,
  validationError,
} from './errors/gateway-error.ts';
export { qualifiedModelId } from './models/model-descriptor.ts';
export {
  estimateImagePrice,
  type ImageUsage,
  type PriceEstimate,
  priceFromUsage,
  roundUsd,
} from './models/pricing.ts';
export { abortErrorFrom, throwIfAborted } from './provider/http/abort.ts';
export { type CheckedUrlOptions, checkedUrl, hostAllowed } from './provider/http/allowed-hosts.ts';
export { type DownloadOptions, downloadResult } from './provider/http/download-result.ts';
export {
  decodeBase64,
  type FetchFunction,
  loadApiKey,
  type ProviderFetchOptions,
  providerFetch,
  type ReadBodyOptions,
  readBodyBytes,
  readJsonBody,
} from './provider/http/provider-fetch.ts';
export { parseDuration, parseRetryAfter } from './provider/http/retry-after.ts';
export type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderImage,
  ProviderResult,
  UpstreamJob,
} from './provider/image-provider.ts';
export { type Logger, silentLogger } from './provider/logger.ts';
export { mergeCatalog } from './provider/merge-catalog.ts';
export { guardedProviderStep, waitOrAbort } from './provider/plugin-steps.ts';
export { drawTestImage, encodePng, type TestImageOptions } from './provider/test-image.ts';
export { type GenerationWarning, generationWarningSchema } from './provider/warning.ts';
export {
  formatSize,
  type PixelSize,
  parseAspectRatio,
  parseSize,
  ratioDistance,
  ratioValue,
  reduceRatio,
} from './shared/image-size.ts';
export {
  extensionFor,
  type ImageMediaType,
  OUTPUT_FORMAT_MEDIA_TYPES,
  type SniffedImage,
  sniffImage,
} from './shared/media-type.ts';
export { redactSecrets, stripBase64, truncateText } from './shared/redact.ts';
export { waitUnlessClosed } from './shared/wait-unless-closed.ts';

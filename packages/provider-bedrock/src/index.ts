/**
 * @pixelgate/provider-bedrock: Amazon Bedrock image models (Nova Canvas, Titan Image v2,
 * Stability on Bedrock) for pixelgate through InvokeModel.
 * @packageDocumentation
 */
export {
  BEDROCK_DEFAULT_REGIONS,
  BEDROCK_MODELS,
  BEDROCK_STABILITY_RATIO_SIZES,
  type BedrockProviderData,
  type BedrockProviderDataInput,
  bedrockModels,
  bedrockProviderDataSchema,
  TITAN_V2_SIZES,
  tierPrice,
} from './bedrock-catalog.ts';
export {
  BEDROCK_CONTENT_FILTER_PATTERN,
  BEDROCK_QUOTA_RETRY_MS,
  BEDROCK_THROTTLE_RETRY_MS,
  type BedrockErrorContext,
  mapBedrockError,
} from './bedrock-error.ts';
export { type BedrockOptions, bedrockOptionsSchema } from './bedrock-options.ts';
export {
  BEDROCK_CONTENT_FILTERED_LABEL,
  type BedrockCredentials,
  type BedrockProviderSettings,
  createBedrockProvider,
} from './bedrock-provider.ts';
